/**
 * The chat server as a Layer: over whatever `SocketServer` it is given, it
 * accepts connections up to `maxClients` and serves each in its own scope.
 *
 * Its scope owns every connection. Closing it (SIGINT, SIGTERM, or the
 * embedding app's own shutdown) tells every client `*** server shutting
 * down`, waits up to `shutdownGrace` for them to receive it, then interrupts
 * the rest; the socket layer destroys their sockets.
 */
import type * as Socket from "@effect/platform/Socket"
import * as SocketServer from "@effect/platform/SocketServer"
import { Effect, Layer, Option } from "effect"
import * as Connection from "./Connection.js"
import { Hub } from "./Hub.js"
import * as Reply from "./Reply.js"
import * as ServerConfig from "./ServerConfig.js"
import * as SocketTcp from "./SocketTcp.js"

/** How long a refused connection may take to receive `! server full`. */
const refusalTimeout = "1 second"

/** `host:port`, with brackets around an IPv6 host; a Unix or memory address as is. */
export const formatAddress = (address: SocketServer.Address): string =>
  address._tag === "UnixAddress"
    ? address.path
    : address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`

/** Tells an extra client the server is full, then lets the socket layer close it. */
const refuse = (socket: Socket.Socket): Effect.Effect<void> =>
  Effect.gen(function*() {
    // Some socket implementations only write while `run` is reading; what
    // the refused client sends is read and dropped, and how its reading ends
    // does not matter.
    yield* socket.run(() => {}).pipe(Effect.exit, Effect.forkScoped)
    const write = yield* socket.writer
    yield* write(Reply.serverFull)
  }).pipe(
    Effect.scoped,
    Effect.timeoutOption(refusalTimeout),
    Effect.catchAll((error) => Effect.logDebug("could not tell a refused client", error)),
    Effect.asVoid
  )

const serve = Effect.gen(function*() {
  const server = yield* SocketServer.SocketServer
  const config = yield* ServerConfig.ServerConfig
  const hub = yield* Hub
  const slots = yield* Effect.makeSemaphore(config.maxClients)

  const onConnection = (socket: Socket.Socket) =>
    Connection.handle(socket).pipe(
      slots.withPermitsIfAvailable(1),
      Effect.flatMap(Option.match({ onNone: () => refuse(socket), onSome: () => Effect.void }))
    )

  yield* server.run(onConnection).pipe(
    Effect.catchAllCause((cause) => Effect.logError("the server stopped accepting connections", cause)),
    Effect.forkScoped
  )
  // Runs before the accept loop is interrupted: finalizers run in reverse order.
  yield* Effect.addFinalizer(() =>
    Effect.logInfo("shutting down").pipe(Effect.zipRight(hub.shutdown(config.shutdownGrace)))
  )
  yield* Effect.logInfo(`listening on ${formatAddress(server.address)}`)
})

/**
 * The chat server over the `SocketServer` and `ServerConfig` you provide. It
 * also provides its `Hub`, whose `snapshot` shows who is where.
 */
export const layer: Layer.Layer<Hub, never, SocketServer.SocketServer | ServerConfig.ServerConfig> = Layer
  .scopedDiscard(serve)
  .pipe(Layer.provideMerge(Hub.Default))

export interface TcpOptions extends ServerConfig.ServerOptions {
  readonly host?: string | undefined
  readonly port?: number | undefined
}

/**
 * The whole server over TCP: `layerTcp({ port: 8888 })`. Fails to build on a
 * bad option or when it cannot listen.
 */
export const layerTcp = (
  options: TcpOptions = {}
): Layer.Layer<Hub, ServerConfig.InvalidConfig | SocketServer.SocketServerError> => {
  const { host = "127.0.0.1", port = 8888, ...chat } = options
  return layer.pipe(
    Layer.provide(SocketTcp.layer({ host, port })),
    Layer.provide(ServerConfig.layer(chat))
  )
}
