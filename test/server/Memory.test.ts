/**
 * Memory that grows with time rather than with connections: clients that
 * stay for hours and keep talking must not make the server hold more and
 * more. Measured as the live heap (after a full garbage collection), on the
 * in-memory layer, with a `ManualClock` so that hours pass in a second.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as ManualClock from "../support/ManualClock.js"
import * as MemoryChat from "../support/MemoryChat.js"

// `gc()` without starting the test runner with --expose-gc: the flag applies to contexts made after it.
v8.setFlagsFromString("--expose-gc")
const collect = vm.runInNewContext("gc") as () => void

/** The live heap, in MB. */
const liveHeap = (): number => {
  collect()
  collect()
  return process.memoryUsage().heapUsed / 2 ** 20
}

const clients = 25

describe("clients that stay and talk", () => {
  // A defect this found: the idle watchdog re-armed itself by recursion
  // inside `Effect.gen`, keeping about 1 KB per wake-up for as long as the
  // client stayed (the 15-minute soak's live heap grew 0.77 MB a minute).
  it.scoped("hold no more memory after 240 idle-timeout periods than after 40", () =>
    Effect.gen(function*() {
      const clock = ManualClock.make()
      const measured = yield* Effect.gen(function*() {
        const talkers = yield* Effect.all(Array.from({ length: clients }, () => MemoryChat.connect))
        /** Every client says something and gets its answer, then a minute passes. */
        const minute = Effect.gen(function*() {
          yield* Effect.forEach(talkers, (talker) =>
            talker.sendLine("/rooms").pipe(
              Effect.zipRight(talker.readUntil((line) => line.startsWith("*** rooms:")))
            ), { discard: true })
          yield* clock.advance("1 minute")
        })
        yield* Effect.repeatN(minute, 39)
        const before = liveHeap()
        yield* Effect.repeatN(minute, 199)
        const after = liveHeap()
        assert.strictEqual((yield* MemoryChat.snapshot).clients, clients)
        return { before, after }
      }).pipe(
        Effect.provide(MemoryChat.layer({ rate: 0, idleTimeout: "90s" })),
        Effect.withClock(clock)
      )
      // 25 clients × 200 periods: 5,000 re-arms of the watchdog, some 5 MB if each keeps a kilobyte.
      assert.isBelow(
        measured.after - measured.before,
        2,
        `live heap ${measured.before.toFixed(1)} MB after 40 minutes, ${measured.after.toFixed(1)} MB after 240`
      )
    }), 60_000)
})
