/**
 * Listening, for the socket layers built on Node servers (TCP, TLS, HTTP):
 * listen for the life of the scope, fail with the platform's error when the
 * address cannot be had, and on release stop accepting and destroy what is
 * still open (Node's `close` waits for every connection, so a client that
 * stopped reading would otherwise hold up shutdown).
 *
 * @internal
 */
import * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Effect } from "effect"

/** What of a Node server (`net`, `tls`, `http`) listening needs. */
export interface Listening {
  readonly listen: (options: { readonly host: string; readonly port: number }, listening: () => void) => unknown
  readonly once: (event: "error", listener: (error: Error) => void) => unknown
  readonly off: (event: "error", listener: (error: Error) => void) => unknown
  readonly close: (closed: () => void) => unknown
  readonly address: () => { readonly address: string; readonly port: number } | string | null
}

/**
 * Listens on `host:port` until the scope closes; then closes the server,
 * calling `destroyOpen` to end the connections it still has. Returns the
 * address it got (the real port for port 0).
 */
export const listen = (
  server: Listening,
  options: { readonly host: string; readonly port: number },
  destroyOpen: () => void
): Effect.Effect<SocketServer.Address, SocketServer.SocketServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<void, SocketServer.SocketServerError>((resume) => {
      const onError = (cause: Error) =>
        resume(Effect.fail(new SocketServer.SocketServerError({ reason: "Open", cause })))
      server.once("error", onError)
      server.listen({ host: options.host, port: options.port }, () => {
        server.off("error", onError)
        resume(Effect.void)
      })
    }),
    () =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        destroyOpen()
      })
  ).pipe(Effect.map(() => {
    const bound = server.address()
    return bound !== null && typeof bound === "object"
      ? { _tag: "TcpAddress", hostname: bound.address, port: bound.port }
      : { _tag: "UnixAddress", path: String(bound) }
  }))
