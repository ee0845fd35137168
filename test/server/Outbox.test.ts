import type * as Socket from "@effect/platform/Socket"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option } from "effect"
import { DisconnectReason } from "../../src/domain/Domain.js"
import * as Outbox from "../../src/server/Outbox.js"
import type { DirectWrite } from "../../src/socket/DirectWrite.js"

/** Lets forked fibers run until they wait. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** An outbox whose too-slow calls are counted. */
const counted = (maxLines: number, direct?: DirectWrite) => {
  const calls = { tooSlow: 0 }
  const outbox = Outbox.make(maxLines, () => calls.tooSlow++, direct)
  return { outbox, calls }
}

/** A socket's direct write that records what it took and answers `next`; `drain` lets a full socket go on. */
const fakeSocket = Effect.gen(function*() {
  const drained = yield* Deferred.make<void, Socket.SocketError>()
  const state = { taken: [] as Array<string>, next: "ok" as "ok" | "full" | "closed" }
  const direct: DirectWrite = {
    write: (text) => {
      if (state.next !== "closed") state.taken.push(text)
      return state.next
    },
    drained: Deferred.await(drained)
  }
  return Object.assign(state, { direct, drain: Deferred.succeed(drained, undefined) })
})

describe("Outbox", () => {
  it.effect("gives the writer everything gathered, in order, in one batch", () =>
    Effect.gen(function*() {
      const { outbox } = counted(10)
      outbox.write("a\n", 1)
      outbox.write("b\nc\n", 2)
      assert.deepStrictEqual(yield* outbox.take, { text: "a\nb\nc\n", lines: 3, close: undefined })
    }))

  it.effect("wakes a waiting writer, which takes what arrived in the same step too", () =>
    Effect.gen(function*() {
      const { outbox } = counted(10)
      const writer = yield* Effect.fork(outbox.take)
      yield* settle
      outbox.write("a\n", 1)
      outbox.write("b\n", 1)
      assert.deepStrictEqual(yield* Fiber.join(writer), { text: "a\nb\n", lines: 2, close: undefined })
    }))

  it.effect("past the bound: too slow, once, and nothing more is taken", () =>
    Effect.gen(function*() {
      const { calls, outbox } = counted(3)
      outbox.write("1\n2\n", 2)
      outbox.write("3\n", 1)
      assert.strictEqual(calls.tooSlow, 0)
      outbox.write("4\n", 1)
      outbox.write("5\n", 1)
      outbox.close(DisconnectReason.Quit({ message: undefined }))
      assert.strictEqual(calls.tooSlow, 1)
      assert.deepStrictEqual(yield* outbox.take, { text: "1\n2\n3\n", lines: 3, close: undefined })
    }))

  it.effect("what one event brings to an empty outbox fits, however long; the bound applies to what follows", () =>
    Effect.gen(function*() {
      const { calls, outbox } = counted(3)
      outbox.write("h1\nh2\nh3\nh4\nh5\n", 5)
      assert.strictEqual(calls.tooSlow, 0)
      outbox.write("next\n", 1)
      assert.strictEqual(calls.tooSlow, 1)
    }))

  it.effect("taken lines no longer count against the bound", () =>
    Effect.gen(function*() {
      const { calls, outbox } = counted(3)
      outbox.write("1\n2\n3\n", 3)
      yield* outbox.take
      outbox.write("4\n5\n6\n", 3)
      assert.strictEqual(calls.tooSlow, 0)
    }))

  it.effect("a close comes after the text before it, and nothing after it is taken", () =>
    Effect.gen(function*() {
      const { outbox } = counted(10)
      outbox.write("*** bye\n", 1)
      outbox.close(DisconnectReason.Quit({ message: undefined }))
      outbox.write("late\n", 1)
      assert.deepStrictEqual(yield* outbox.take, {
        text: "*** bye\n",
        lines: 1,
        close: DisconnectReason.Quit({ message: undefined })
      })
    }))

  describe("with a direct write", () => {
    it.effect("text goes straight to the socket while the writer waits, and the writer stays asleep", () =>
      Effect.gen(function*() {
        const socket = yield* fakeSocket
        const { outbox } = counted(10, socket.direct)
        const writer = yield* Effect.fork(outbox.take)
        yield* settle
        outbox.write("a\n", 1)
        outbox.write("b\n", 1)
        yield* settle
        assert.deepStrictEqual(socket.taken, ["a\n", "b\n"])
        assert.isTrue(Option.isNone(yield* Fiber.poll(writer)))
        outbox.close(DisconnectReason.Idle())
        assert.deepStrictEqual(yield* Fiber.join(writer), { text: "", lines: 0, close: DisconnectReason.Idle() })
      }))

    it.effect("before the writer waits, text gathers for it", () =>
      Effect.gen(function*() {
        const socket = yield* fakeSocket
        const { outbox } = counted(10, socket.direct)
        outbox.write("welcome\n", 1)
        assert.deepStrictEqual(socket.taken, [])
        assert.deepStrictEqual(yield* outbox.take, { text: "welcome\n", lines: 1, close: undefined })
      }))

    it.effect("a full socket: the writer waits for it to drain, then takes what gathered, bounded", () =>
      Effect.gen(function*() {
        const socket = yield* fakeSocket
        const { calls, outbox } = counted(2, socket.direct)
        const writer = yield* Effect.fork(outbox.take)
        yield* settle
        socket.next = "full"
        outbox.write("a\n", 1)
        outbox.write("b\n", 1)
        outbox.write("c\n", 1)
        yield* settle
        assert.deepStrictEqual(socket.taken, ["a\n"])
        assert.isTrue(Option.isNone(yield* Fiber.poll(writer)))
        assert.strictEqual(calls.tooSlow, 0)
        outbox.write("d\n", 1)
        assert.strictEqual(calls.tooSlow, 1)
        yield* socket.drain
        assert.deepStrictEqual(yield* Fiber.join(writer), { text: "b\nc\n", lines: 2, close: undefined })
      }))

    it.effect("a closed socket: the text goes to the writer, whose own write then fails", () =>
      Effect.gen(function*() {
        const socket = yield* fakeSocket
        const { outbox } = counted(10, socket.direct)
        const writer = yield* Effect.fork(outbox.take)
        yield* settle
        socket.next = "closed"
        outbox.write("lost\n", 1)
        assert.deepStrictEqual(yield* Fiber.join(writer), { text: "lost\n", lines: 1, close: undefined })
      }))
  })
})
