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

/**
 * Connections the kernel may hold for the server before it accepts them.
 * Node's default is 511. A crowd connecting at once (everyone coming back
 * after a restart) filled it while the server was busy announcing their
 * joins; past it the kernel drops the handshake's last packet, the client
 * believes it is connected, and if the retries run out it is never served
 * and never told (measured with 10,000 clients: 6,416 overflows in one run,
 * 257 clients left waiting in another). Linux caps it at
 * `net.core.somaxconn` (4096 here).
 */
const acceptBacklog = 4096

/** What of a Node server (`net`, `tls`, `http`) listening needs. */
export interface Listening {
  readonly listen: (
    options: { readonly host: string; readonly port: number; readonly backlog: number },
    listening: () => void
  ) => unknown
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
      server.listen({ host: options.host, port: options.port, backlog: acceptBacklog }, () => {
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
