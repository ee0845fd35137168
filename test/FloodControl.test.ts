import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import * as FloodControl from "../src/FloodControl.js"

const policy: FloodControl.Policy = { rate: 5, burst: 10 }

/** Takes one token per entry of `times`, returning each line's wait. */
const takeAll = (
  bucket: FloodControl.Bucket,
  times: ReadonlyArray<number>
): { waits: Array<number>; bucket: FloodControl.Bucket } => {
  const waits: Array<number> = []
  let current = bucket
  for (const now of times) {
    const [wait, next] = FloodControl.take(current, now, policy)
    waits.push(wait)
    current = next
  }
  return { waits, bucket: current }
}

describe("FloodControl.take", () => {
  it("starts full", () => {
    assert.deepStrictEqual(FloodControl.full(policy, 1234), { tokens: 10, at: 1234 })
  })

  it("lets a burst of 10 through at once", () => {
    const { bucket, waits } = takeAll(FloodControl.full(policy, 0), Array.from({ length: 10 }, () => 0))
    assert.deepStrictEqual(waits, Array.from({ length: 10 }, () => 0))
    assert.deepStrictEqual(bucket, { tokens: 0, at: 0 })
  })

  it("makes the 11th line wait 200 ms and the 12th, taken at the same instant, 400 ms", () => {
    const { bucket, waits } = takeAll(FloodControl.full(policy, 0), Array.from({ length: 12 }, () => 0))
    assert.deepStrictEqual(waits.slice(10), [200, 400])
    assert.deepStrictEqual(bucket, { tokens: -2, at: 0 })
  })

  it("paces lines that each arrive when the previous one's wait is over at 5 per second", () => {
    const start = FloodControl.full(policy, 0)
    const burst = takeAll(start, Array.from({ length: 10 }, () => 0))
    // The 11th at 0 ms waits 200; the 12th, taken when the 11th is done (200 ms), waits 200 more.
    const { waits } = takeAll(burst.bucket, [0, 200, 400, 600])
    assert.deepStrictEqual(waits, [200, 200, 200, 200])
  })

  it("needs no wait when a line arrives after its token has refilled", () => {
    const burst = takeAll(FloodControl.full(policy, 0), Array.from({ length: 10 }, () => 0))
    const [wait, bucket] = FloodControl.take(burst.bucket, 200, policy)
    assert.strictEqual(wait, 0)
    assert.deepStrictEqual(bucket, { tokens: 0, at: 200 })
  })

  it("waits only for the part of a token still missing", () => {
    const burst = takeAll(FloodControl.full(policy, 0), Array.from({ length: 10 }, () => 0))
    const [wait] = FloodControl.take(burst.bucket, 150, policy)
    assert.strictEqual(wait, 50)
  })

  it("refills at most to the burst", () => {
    const burst = takeAll(FloodControl.full(policy, 0), Array.from({ length: 10 }, () => 0))
    // An hour later the bucket holds 10, not 18000: the 11th line of a new burst waits again.
    const later = takeAll(burst.bucket, Array.from({ length: 11 }, () => 3_600_000))
    assert.deepStrictEqual(later.waits, [...Array.from({ length: 10 }, () => 0), 200])
    const [, untouched] = FloodControl.take(FloodControl.full(policy, 0), 60_000, policy)
    assert.deepStrictEqual(untouched, { tokens: 9, at: 60_000 })
  })

  it("follows another policy's numbers", () => {
    const slow: FloodControl.Policy = { rate: 2, burst: 1 }
    const [first, afterFirst] = FloodControl.take(FloodControl.full(slow, 0), 0, slow)
    const [second, afterSecond] = FloodControl.take(afterFirst, 0, slow)
    const [third] = FloodControl.take(afterSecond, 0, slow)
    assert.deepStrictEqual([first, second, third], [0, 500, 1000])
  })
})

describe("FloodControl.make", () => {
  it.effect("delays lines past the burst to the rate, on the TestClock", () =>
    Effect.gen(function*() {
      const waitForToken = yield* FloodControl.make(policy)
      const done = yield* Ref.make(0)
      const fiber = yield* Effect.fork(
        Effect.repeatN(waitForToken.pipe(Effect.zipRight(Ref.update(done, (n) => n + 1))), 11)
      )
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

  it.effect("does not wait at all with rate 0", () =>
    Effect.gen(function*() {
      const waitForToken = yield* FloodControl.make({ rate: 0, burst: 10 })
      const done = yield* Ref.make(0)
      yield* Effect.repeatN(waitForToken.pipe(Effect.zipRight(Ref.update(done, (n) => n + 1))), 99)
      assert.strictEqual(yield* Ref.get(done), 100)
    }))

  it.effect("refills while idle, up to the burst", () =>
    Effect.gen(function*() {
      const waitForToken = yield* FloodControl.make(policy)
      const done = yield* Ref.make(0)
      const line = waitForToken.pipe(Effect.zipRight(Ref.update(done, (n) => n + 1)))
      yield* Effect.repeatN(line, 9)
      yield* TestClock.adjust("1 hour")
      const fiber = yield* Effect.fork(Effect.repeatN(line, 10))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(yield* Ref.get(done), 20)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(yield* Ref.get(done), 21)
      yield* Fiber.join(fiber)
    }))
})
