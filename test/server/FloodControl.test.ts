import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import * as FloodControl from "../../src/server/FloodControl.js"

const policy: FloodControl.Policy = { rate: 5, burst: 10 }

describe("FloodControl.grant", () => {
  it("starts full", () => {
    assert.deepStrictEqual(FloodControl.full(policy, 1234), { tokens: 10, at: 1234 })
  })

  it("lets a burst of 10 through at once, and no more", () => {
    const first = FloodControl.grant(FloodControl.full(policy, 0), 0, policy, 13)
    assert.strictEqual(first.granted, 10)
    assert.deepStrictEqual(first.bucket, { tokens: 0, at: 0 })
    const second = FloodControl.grant(first.bucket, 0, policy, 3)
    assert.strictEqual(second.granted, 0)
    assert.strictEqual(second.wait, 200)
  })

  it("grants no more than wanted", () => {
    const result = FloodControl.grant(FloodControl.full(policy, 0), 0, policy, 3)
    assert.strictEqual(result.granted, 3)
    assert.strictEqual(result.bucket.tokens, 7)
  })

  it("refills at the rate: one token each 200 ms", () => {
    const empty = FloodControl.grant(FloodControl.full(policy, 0), 0, policy, 10).bucket
    assert.strictEqual(FloodControl.grant(empty, 150, policy, 5).wait, 50)
    const at200 = FloodControl.grant(empty, 200, policy, 5)
    assert.strictEqual(at200.granted, 1)
    assert.strictEqual(FloodControl.grant(at200.bucket, 200, policy, 5).wait, 200)
    assert.strictEqual(FloodControl.grant(empty, 600, policy, 5).granted, 3)
  })

  it("caps the refill at the burst", () => {
    const empty = FloodControl.grant(FloodControl.full(policy, 0), 0, policy, 10).bucket
    assert.strictEqual(FloodControl.grant(empty, 3_600_000, policy, 100).granted, 10)
  })

  it("follows slow rates: 0.5 lines/s is one line every 2 s", () => {
    const slow: FloodControl.Policy = { rate: 0.5, burst: 1 }
    const first = FloodControl.grant(FloodControl.full(slow, 0), 0, slow, 3)
    assert.strictEqual(first.granted, 1)
    assert.strictEqual(FloodControl.grant(first.bucket, 0, slow, 2).wait, 2000)
  })
})

describe("FloodControl.make", () => {
  /** Admits `lines` lines as the connection does: in groups, counting each line as it goes. */
  const admitAll = (admit: (wanted: number) => Effect.Effect<number>, lines: number, done: Ref.Ref<number>) =>
    Effect.gen(function*() {
      let left = lines
      while (left > 0) {
        const granted = yield* admit(left)
        left -= granted
        yield* Ref.update(done, (n) => n + granted)
      }
    })

  it.effect("delays lines past the burst to the rate, on the TestClock", () =>
    Effect.gen(function*() {
      const admit = yield* FloodControl.make(policy)
      const done = yield* Ref.make(0)
      const fiber = yield* Effect.fork(admitAll(admit, 12, done))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(yield* Ref.get(done), 10)
      yield* TestClock.adjust("199 millis")
      assert.strictEqual(yield* Ref.get(done), 10)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Ref.get(done), 11)
      yield* TestClock.adjust("199 millis")
      assert.strictEqual(yield* Ref.get(done), 11)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Ref.get(done), 12)
      yield* Fiber.join(fiber)
    }))

  it.effect("admits everything at once with rate 0", () =>
    Effect.gen(function*() {
      const admit = yield* FloodControl.make({ rate: 0, burst: 10 })
      assert.strictEqual(yield* admit(100), 100)
    }))

  it.effect("refills while idle, up to the burst", () =>
    Effect.gen(function*() {
      const admit = yield* FloodControl.make(policy)
      const done = yield* Ref.make(0)
      yield* admitAll(admit, 10, done)
      yield* TestClock.adjust("1 hour")
      const fiber = yield* Effect.fork(admitAll(admit, 11, done))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(yield* Ref.get(done), 20)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(yield* Ref.get(done), 21)
      yield* Fiber.join(fiber)
    }))
})
