import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as IdleWatch from "../../src/server/IdleWatch.js"

// `gc()` without starting the test runner with --expose-gc: the flag applies to contexts made after it.
v8.setFlagsFromString("--expose-gc")
const collect = vm.runInNewContext("gc") as () => void

/** A watched connection that records when it was due and asks to be called again `every` ms, `times` times. */
const recorder = (every: number, times: number) => {
  const calls: Array<number> = []
  return {
    calls,
    watched: {
      due: (now: number) => {
        calls.push(now)
        return calls.length < times ? now + every : undefined
      }
    }
  }
}

describe("IdleWatch", () => {
  it.scoped("calls each watched connection when it is due, as often as it asks, by the clock", () =>
    Effect.gen(function*() {
      const watch = yield* IdleWatch.make
      const a = recorder(1000, 3)
      const b = recorder(250, 2)
      watch.watch(1000, a.watched)
      watch.watch(500, b.watched)
      yield* TestClock.adjust("400 millis")
      assert.deepStrictEqual([a.calls, b.calls], [[], []])
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(a.calls, [1000, 2000, 3000])
      assert.deepStrictEqual(b.calls, [500, 750])
      assert.strictEqual(watch.size(), 0)
    }))

  it.scoped("wakes for a deadline earlier than the one it sleeps until", () =>
    Effect.gen(function*() {
      const watch = yield* IdleWatch.make
      const late = recorder(0, 1)
      const early = recorder(0, 1)
      watch.watch(60_000, late.watched)
      yield* TestClock.adjust("1 second")
      watch.watch(2000, early.watched)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual([early.calls, late.calls], [[2000], []])
    }))

  it.scoped("never calls a connection that stopped (test/server/Leaks.test.ts checks no timer is left)", () =>
    Effect.gen(function*() {
      const watch = yield* IdleWatch.make
      const gone = recorder(100, 10)
      const stop = watch.watch(1000, gone.watched)
      yield* TestClock.adjust("10 millis")
      stop()
      assert.strictEqual(watch.size(), 0)
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(gone.calls, [])
    }))

  it.scoped("lets go of a connection as soon as it stops, long before its deadline", () =>
    Effect.gen(function*() {
      const watch = yield* IdleWatch.make
      // Someone stays, so the heap is never simply emptied.
      watch.watch(3_600_000, recorder(0, 1).watched)
      // What a watched connection holds (its outbox, its socket...), stood for by a big array.
      const refs = Array.from({ length: 100 }, () => {
        const state = { held: new Array<number>(10_000).fill(1) }
        const stop = watch.watch(3_600_000, { due: () => state.held.length })
        stop()
        return new WeakRef(state)
      })
      yield* TestClock.adjust("1 second")
      collect()
      assert.strictEqual(refs.filter((ref) => ref.deref() !== undefined).length, 0)
    }))
})
