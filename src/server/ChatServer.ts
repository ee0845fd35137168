/**
 * The chat server as Layers: a node (`Hub`) on a backplane, and listeners,
 * each a `WireProtocol` served over a `SocketServer`.
 *
 * A listener accepts connections while the node has room (`Capacity`) and
 * serves each in its own scope. Its scope owns every connection: closing it
 * (SIGINT, SIGTERM, or the embedding app's own shutdown) tells every client
 * the server is shutting down, waits up to `shutdownGrace` for them to
 * receive it, then interrupts the rest; the socket layer destroys their
 * sockets.
 *
 * Nothing here imports `node:net`: `ChatTcp` wires these over TCP.
 */
import type * as Socket from "@effect/platform/Socket"
import * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Effect, Layer } from "effect"
import type { Reply } from "../domain/Event.js"
import type { Backplane } from "../hub/Backplane.js"
import { layerMemory } from "../hub/Backplane.js"
import { Hub } from "../hub/Hub.js"
import * as LineProtocol from "../protocol/line/LineProtocol.js"
import type { WireProtocol } from "../protocol/WireProtocol.js"
import * as ServerConfig from "../ServerConfig.js"
import * as RemoteAddress from "../socket/RemoteAddress.js"
import type { Refusal } from "./Capacity.js"
import { Capacity } from "./Capacity.js"
import * as ChatMetrics from "./ChatMetrics.js"
import * as Connection from "./Connection.js"
import * as ConnectionLifetime from "./ConnectionLifetime.js"

/** How long a refused connection may take to receive its refusal. */
const refusalTimeout = "1 second"

/** `host:port`, with brackets around an IPv6 host; a Unix or memory address as is. */
export const formatAddress = (address: SocketServer.Address): string =>
  address._tag === "UnixAddress"
    ? address.path
    : address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`

/** Tells a refused client why (the server is full...), in its protocol, then lets the socket layer close it. */
const refuse = (protocol: WireProtocol, socket: Socket.Socket) => (reason: Refusal): Effect.Effect<void> =>
  Effect.gen(function*() {
    // Some socket implementations only write while `run` is reading; what
    // the refused client sends is read and dropped, and how its reading ends
    // does not matter.
    yield* socket.run(() => {}).pipe(Effect.exit, Effect.forkScoped)
    const write = yield* socket.writer
    const replies: ReadonlyArray<Reply> = [{ _tag: reason }]
    yield* write(protocol.render.replies(replies).text)
  }).pipe(
    Effect.scoped,
    Effect.timeoutOption(refusalTimeout),
    Effect.catchAll((error) => Effect.logDebug("could not tell a refused client", error)),
    Effect.asVoid
  )

export interface ListenOptions {
  /** The log line once it accepts connections: `listening on` (the line protocol), `irc listening on`... */
  readonly announce: string
  /** How the address reads after it; default `host:port` (`formatAddress`). */
  readonly show?: ((address: SocketServer.Address) => string) | undefined
}

/**
 * Serves `protocol` on `server` for as long as the scope lasts, sharing the
 * node's hub and connection limit with every other listener.
 */
export const listen = (
  protocol: WireProtocol,
  server: SocketServer.SocketServer["Type"],
  options: ListenOptions
): Effect.Effect<void, never, Hub | Capacity | ServerConfig.ServerConfig | Scope.Scope> =>
  Effect.gen(function*() {
    const config = yield* ServerConfig.ServerConfig
    const hub = yield* Hub
    const capacity = yield* Capacity
    const handle = yield* Connection.handler(protocol)
    const refused = ChatMetrics.forTransport(protocol.name).refused
    const refuseCounted = (socket: Socket.Socket) => (refusal: Refusal) =>
      Effect.zipRight(Effect.sync(() => refused.add(1)), refuse(protocol, socket)(refusal))
    yield* server.run((socket) =>
      ConnectionLifetime.serve(socket, capacity.admit(handle(socket), refuseCounted(socket), RemoteAddress.of(socket)))
    )
      .pipe(
        Effect.catchAllCause((cause) => Effect.logError("the server stopped accepting connections", cause)),
        Effect.forkScoped
      )
    // Runs before the accept loop is interrupted: finalizers run in reverse order.
    // Every listener asks; the hub tells its clients once.
    yield* Effect.addFinalizer(() =>
      Effect.logInfo("shutting down").pipe(Effect.zipRight(hub.shutdown(config.shutdownGrace)))
    )
    yield* Effect.logInfo(`${options.announce} ${(options.show ?? formatAddress)(server.address)}`)
  })

/** A listener for `protocol` over the `SocketServer` of `sockets`: a few lines per protocol. */
export const listener = <E, R>(
  protocol: WireProtocol,
  sockets: Layer.Layer<SocketServer.SocketServer, E, R>,
  options: ListenOptions
): Layer.Layer<never, E, Hub | Capacity | ServerConfig.ServerConfig | R> =>
  Layer.scopedDiscard(
    Effect.flatMap(SocketServer.SocketServer, (server) => listen(protocol, server, options))
  ).pipe(Layer.provide(sockets))

/** The node over the backplane you provide: its `Hub` and its connection limit. */
export const layerNode: Layer.Layer<Hub | Capacity, never, Backplane | ServerConfig.ServerConfig> = Layer.mergeAll(
  Hub.Default,
  Capacity.Default
)

/** The in-memory backplane, keeping the history `ServerConfig` asks for. */
export const layerMemoryBackplane: Layer.Layer<Backplane, never, ServerConfig.ServerConfig> = Layer.unwrapEffect(
  Effect.map(ServerConfig.ServerConfig, (config) => layerMemory({ history: config.history }))
)

/**
 * The line protocol over the `SocketServer` you provide, on the backplane you
 * provide. It also provides its `Hub`, whose `snapshot` shows who is where.
 */
export const layerOn: Layer.Layer<
  Hub | Capacity,
  never,
  SocketServer.SocketServer | ServerConfig.ServerConfig | Backplane
> = Layer.scopedDiscard(
  Effect.flatMap(
    SocketServer.SocketServer,
    (server) => listen(LineProtocol.protocol, server, { announce: "listening on" })
  )
).pipe(Layer.provideMerge(layerNode))

/**
 * The line protocol over the `SocketServer` and `ServerConfig` you provide,
 * on the in-memory backplane: a chat of one process.
 */
export const layer: Layer.Layer<Hub | Capacity, never, SocketServer.SocketServer | ServerConfig.ServerConfig> = layerOn
  .pipe(Layer.provide(layerMemoryBackplane))
