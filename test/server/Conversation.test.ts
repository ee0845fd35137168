import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Scope, TestClock } from "effect"
import * as MemoryChat from "../support/MemoryChat.js"

describe("a conversation on the in-memory layer", () => {
  it.scoped("relays room messages to the others, never back to the sender", () =>
    Effect.gen(function*() {
      const alice = yield* MemoryChat.connect
      const bob = yield* MemoryChat.connect
      assert.strictEqual(yield* alice.readLine, "*** guest-2 joined #lobby")
      yield* alice.sendLine("/nick alice")
      assert.strictEqual(yield* alice.readLine, "*** you are now alice")
      assert.strictEqual(yield* bob.readLine, "*** guest-1 is now alice")
      yield* alice.sendLine("hello")
      assert.strictEqual(yield* bob.readLine, "<alice> hello")
      yield* bob.sendLine("/who")
      assert.strictEqual(yield* bob.readLine, "*** in #lobby: alice, guest-2")
      // alice's next line is bob's reply to her, not her own message echoed.
      yield* bob.sendLine("hi alice")
      assert.strictEqual(yield* alice.readLine, "<guest-2> hi alice")
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0 }))))

  it.scoped("replays history to a newcomer before live lines", () =>
    Effect.gen(function*() {
      const alice = yield* MemoryChat.connect
      yield* alice.sendLine("one")
      yield* alice.sendLine("/me two")
      yield* alice.sendLine("three")
      yield* alice.sendLine("/who")
      yield* alice.readUntil((line) => line.startsWith("*** in #lobby"))
      const bob = yield* MemoryChat.connect
      yield* alice.sendLine("four")
      assert.strictEqual(yield* bob.readLine, "* guest-1 two")
      assert.strictEqual(yield* bob.readLine, "<guest-1> three")
      assert.strictEqual(yield* bob.readLine, "<guest-1> four")
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, history: 2 }))))

  it.scoped("removes everything a client held when it goes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const alice = yield* MemoryChat.connect.pipe(Scope.extend(scope))
      yield* alice.sendLine("/join dev")
      yield* alice.readUntil((line) => line.startsWith("*** joined #dev"))
      assert.strictEqual((yield* MemoryChat.snapshot).clients, 1)
      yield* Scope.close(scope, Exit.void)
      yield* MemoryChat.waitFor((s) => s.clients === 0)
      const after = yield* MemoryChat.snapshot
      assert.deepStrictEqual(after, { clients: 0, nicks: 0, rooms: [], shuttingDown: false })
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0 }))))
})

describe("idle timeout, on the TestClock", () => {
  it.scoped("disconnects a silent client after exactly the timeout", () =>
    Effect.gen(function*() {
      const idle = yield* MemoryChat.connect
      const watcher = yield* MemoryChat.connect
      assert.strictEqual(yield* idle.readLine, "*** guest-2 joined #lobby")
      yield* watcher.sendLine("/who")
      yield* watcher.readUntil((line) => line.startsWith("*** in #lobby"))

      yield* TestClock.adjust("9 minutes")
      yield* watcher.sendLine("still here")
      assert.strictEqual(yield* idle.readLine, "<guest-2> still here")

      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* idle.readLine, "*** disconnected: idle for 10m")
      assert.deepStrictEqual(yield* idle.readToEnd, [])
      // The watcher spoke 1 minute ago, so it is still connected.
      assert.strictEqual(yield* watcher.readLine, "*** guest-1 left #lobby (idle)")
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, idleTimeout: "10m" }))))
})

describe("flood control, on the TestClock", () => {
  it.scoped("delays lines past the burst to the rate, dropping none", () =>
    Effect.gen(function*() {
      const flooder = yield* MemoryChat.connect
      const reader = yield* MemoryChat.connect
      yield* flooder.readLine
      yield* flooder.send(Array.from({ length: 13 }, (_, i) => `line ${i + 1}\n`).join(""))

      // The burst of 10 goes through at once.
      const burst = yield* reader.readUntil((line) => line === "<guest-1> line 10")
      assert.strictEqual(burst.length, 10)
      const eleventh = yield* Effect.fork(reader.readLine)
      yield* TestClock.adjust("199 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(eleventh)))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(eleventh), "<guest-1> line 11")
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(yield* reader.readLine, "<guest-1> line 12")
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(yield* reader.readLine, "<guest-1> line 13")
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 5, burst: 10 }))))
})

describe("a slow reader", () => {
  it.scoped("is cut off (too slow) while the others receive everything in order", () =>
    Effect.gen(function*() {
      const sender = yield* MemoryChat.connect
      const stalled = yield* MemoryChat.connect
      const healthy = yield* MemoryChat.connect
      yield* sender.readUntil((line) => line === "*** guest-3 joined #lobby")
      yield* stalled.readLine

      const count = 500
      const received = yield* healthy.readUntil((line) => line === `<guest-1> message ${count}`).pipe(Effect.fork)
      for (let i = 1; i <= count; i++) yield* sender.sendLine(`message ${i}`)
      const lines = yield* Fiber.join(received)
      const messages = lines.filter((line) => line.startsWith("<guest-1>"))
      assert.deepStrictEqual(messages, Array.from({ length: count }, (_, i) => `<guest-1> message ${i + 1}`))
      assert.isTrue(lines.includes("*** guest-2 left #lobby (too slow)"))
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, maxQueue: 50 }, { clientReadBuffer: 4 }))))
})

describe("shutdown", () => {
  it.scoped("tells every client, sends no leave notices, and closes them all", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(MemoryChat.layer({ rate: 0 }), scope)
      const [alice, bob] = yield* Effect.all([MemoryChat.connect, MemoryChat.connect]).pipe(
        Effect.provide(context)
      )
      yield* alice.readLine
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      assert.deepStrictEqual(yield* alice.readToEnd, ["*** server shutting down"])
      assert.deepStrictEqual(yield* bob.readToEnd, ["*** server shutting down"])
      yield* Fiber.join(closing)
    }))
})
