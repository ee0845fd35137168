/**
 * Testing a conversation without a network or real time: the in-memory socket
 * layer stands in for TCP, and the TestClock drives the idle timeout.
 */
import { assert, it } from "@effect/vitest"
import { ChatServer, ServerConfig, SocketMemory } from "chat"
import { Effect, Layer, TestClock } from "effect"

const TestChat = ChatServer.layer.pipe(
  Layer.provideMerge(SocketMemory.layer()),
  Layer.provide(ServerConfig.layer({ idleTimeout: "5m" })),
  Layer.orDie
)

it.scoped("alice greets bob, then falls idle", () =>
  Effect.gen(function*() {
    const { connect } = yield* SocketMemory.SocketMemory
    const alice = yield* connect
    const bob = yield* connect
    yield* alice.readUntil((line) => line === "*** guest-2 joined #lobby")
    yield* bob.readUntil((line) => line.startsWith("*** type /help"))

    yield* alice.sendLine("/nick alice")
    assert.strictEqual(yield* alice.readLine, "*** you are now alice")
    yield* alice.sendLine("hi bob")
    assert.strictEqual(yield* bob.readLine, "*** guest-1 is now alice")
    assert.strictEqual(yield* bob.readLine, "<alice> hi bob")

    yield* TestClock.adjust("4 minutes")
    yield* bob.sendLine("hi alice")
    assert.strictEqual(yield* alice.readLine, "<guest-2> hi alice")

    // Five minutes after her last line, alice is disconnected; bob spoke since.
    yield* TestClock.adjust("1 minute")
    assert.strictEqual(yield* alice.readLine, "*** disconnected: idle for 5m")
    assert.strictEqual(yield* bob.readLine, "*** alice left #lobby (idle)")
  }).pipe(Effect.provide(TestChat)))
