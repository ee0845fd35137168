import { Effect, Layer } from "effect"
import type { Snapshot } from "../../src/index.js"
import { ChatServer, Hub, ServerConfig, SocketMemory } from "../../src/index.js"

/**
 * The whole chat server on the in-memory socket layer, as a test would build
 * it: `Effect.provide(MemoryChat.layer({ rate: 0 }))`, then connect clients.
 */
export const layer = (
  options: ServerConfig.ServerOptions = {},
  memory: SocketMemory.MemoryOptions = {}
) => {
  const sockets = SocketMemory.layer(memory)
  const config = ServerConfig.layer(options)
  return ChatServer.layer.pipe(
    Layer.provideMerge(sockets),
    Layer.provideMerge(config),
    Layer.orDie
  )
}

/**
 * Connects a client and reads its welcome notices, so its session is live
 * before the test goes on. The room's history, if any, comes next.
 */
export const connect = Effect.gen(function*() {
  const { connect } = yield* SocketMemory.SocketMemory
  const client = yield* connect
  const welcome = yield* client.readUntil((line) => line.startsWith("*** type /help"))
  return { ...client, welcome }
})

export const snapshot = Effect.flatMap(Hub, (hub) => hub.snapshot)

/** Waits until the hub's state satisfies `predicate` (the hub updates as clients' scopes close). */
export const waitFor = (predicate: (snapshot: Snapshot) => boolean) =>
  snapshot.pipe(
    Effect.zipLeft(Effect.yieldNow()),
    Effect.repeat({ until: predicate }),
    Effect.asVoid
  )
