/**
 * Testing a cluster without Redis, a network or real time: two nodes (two
 * `Hub`s, each with its own in-memory sockets) on one in-memory backplane,
 * under the TestClock. What a client on one node says, a client on the other
 * hears; the idle timeout of each node runs on the TestClock.
 */
import { assert, it } from "@effect/vitest"
import { Backplane, ChatServer, ServerConfig, SocketMemory } from "chat"
import { Context, Effect, Layer, TestClock } from "effect"

/** One node over the backplane it is given: its own sockets, its own limits. */
const node = (backplane: Context.Context<Backplane.Backplane>) =>
  ChatServer.layerOn.pipe(
    Layer.provideMerge(SocketMemory.layer()),
    Layer.provide(ServerConfig.layer({ idleTimeout: "5m" })),
    Layer.provide(Layer.succeedContext(backplane)),
    Layer.orDie
  )

const startNode = (backplane: Context.Context<Backplane.Backplane>) =>
  Layer.build(node(backplane)).pipe(Effect.map((context) => Context.get(context, SocketMemory.SocketMemory)))

it.scoped("alice on one node, bob on another, one chat", () =>
  Effect.gen(function*() {
    // The shared part of a cluster: in a test, the in-memory backplane.
    const backplane = yield* Layer.build(Backplane.layerMemory({ history: 50 }))
    const one = yield* startNode(backplane)
    const two = yield* startNode(backplane)

    const alice = yield* one.connect
    yield* alice.readUntil((line) => line.startsWith("*** type /help"))
    yield* alice.sendLine("/nick alice")
    assert.strictEqual(yield* alice.readLine, "*** you are now alice")
    yield* alice.sendLine("said on node one")

    const bob = yield* two.connect
    const welcome = yield* bob.readUntil((line) => line === "<alice> said on node one")
    assert.strictEqual(welcome[0], "*** welcome to chat, you are guest-1 in #lobby (2 here)")
    yield* bob.sendLine("/nick alice")
    assert.strictEqual(yield* bob.readLine, "! nick alice is taken")
    yield* bob.sendLine("hello from node two")
    yield* alice.readUntil((line) => line === "*** guest-1 joined #lobby")
    assert.strictEqual(yield* alice.readLine, "<guest-1> hello from node two")

    // Each node's idle timeout, on the TestClock: bob goes quiet, alice hears it.
    yield* TestClock.adjust("4 minutes")
    yield* alice.sendLine("still here")
    assert.strictEqual(yield* bob.readLine, "<alice> still here")
    yield* TestClock.adjust("1 minute")
    assert.strictEqual(yield* bob.readLine, "*** disconnected: idle for 5m")
    assert.strictEqual(yield* alice.readLine, "*** guest-1 left #lobby (idle)")
  }))
