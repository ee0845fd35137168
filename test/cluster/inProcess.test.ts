/**
 * Two nodes as Layers in one process, each with its own Redis backplane on
 * one real redis-server, clients on in-memory sockets: the cluster without
 * TCP or child processes.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as RedisBackplane from "../../src/hub/RedisBackplane.js"
import * as ChatServer from "../../src/server/ChatServer.js"
import * as ServerConfig from "../../src/ServerConfig.js"
import * as SocketMemory from "../../src/socket/SocketMemory.js"
import type { RedisServer } from "../support/RedisServer.js"
import { hasRedis, startRedis } from "../support/RedisServer.js"

let redis: RedisServer | undefined
let clusters = 0

beforeAll(async () => {
  if (hasRedis) redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

/** One node of `cluster`: its own Hub and Redis connections, clients on in-memory sockets. */
const node = (cluster: string) =>
  ChatServer.layerOn.pipe(
    Layer.provideMerge(SocketMemory.layer()),
    Layer.provide(RedisBackplane.layer({ url: redis!.url, cluster, history: 50 })),
    Layer.provide(ServerConfig.layer()),
    Layer.orDie
  )

const start = (cluster: string) =>
  Layer.build(node(cluster)).pipe(Effect.map((context) => Context.get(context, SocketMemory.SocketMemory)))

describe.runIf(hasRedis)("two nodes in one process on one Redis", () => {
  it.scopedLive("talk, whisper, share nicks and history", () =>
    Effect.gen(function*() {
      const cluster = `inproc${++clusters}`
      const one = yield* start(cluster)
      const two = yield* start(cluster)
      const alice = yield* one.connect
      yield* alice.readUntil((line) => line.startsWith("*** type /help"))
      yield* alice.sendLine("/nick alice")
      assert.strictEqual(yield* alice.readLine, "*** you are now alice")
      yield* alice.sendLine("said on one")

      const bob = yield* two.connect
      const welcome = yield* bob.readUntil((line) => line === "<alice> said on one")
      assert.deepStrictEqual(welcome[0], "*** welcome to chat, you are guest-1 in #lobby (2 here)")
      yield* bob.sendLine("/nick alice")
      assert.strictEqual(yield* bob.readLine, "! nick alice is taken")
      yield* bob.sendLine("/nick bob")
      assert.strictEqual(yield* bob.readLine, "*** you are now bob")
      yield* alice.readUntil((line) => line === "*** guest-1 joined #lobby")
      assert.strictEqual(yield* alice.readLine, "*** guest-1 is now bob")
      yield* bob.sendLine("/msg alice hi from two")
      assert.strictEqual(yield* alice.readLine, "[pm] <bob> hi from two")
      assert.strictEqual(yield* bob.readLine, "[pm -> alice] hi from two")
      yield* alice.sendLine("/who")
      assert.strictEqual(yield* alice.readLine, "*** in #lobby: alice, bob")
      yield* bob.sendLine("/quit later")
      assert.strictEqual(yield* bob.readLine, "*** bye")
      assert.strictEqual(yield* alice.readLine, "*** bob left #lobby (quit: later)")
    }))
})
