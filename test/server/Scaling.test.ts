/**
 * What a room message costs the server, counted in fiber wake-ups (a
 * supervisor's `onResume`): deterministic, unlike CPU time, and what CPU
 * time follows. A message in one room should cost about the same whether
 * or not hundreds of people sit in other rooms.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Supervisor } from "effect"
import * as MemoryChat from "../support/MemoryChat.js"

/** Counts every time a supervised fiber resumes. */
class Resumes extends Supervisor.AbstractSupervisor<number> {
  count = 0
  readonly value = Effect.sync(() => this.count)
  override onResume(): void {
    this.count++
  }
}

const messages = 100

/**
 * Wake-ups while alice sends `messages` lines to bob in #busy, one at a time,
 * with `elsewhere` other clients connected in #lobby.
 */
const wakeUpsPerMessage = (elsewhere: number) =>
  Effect.gen(function*() {
    const resumes = new Resumes()
    return yield* Effect.gen(function*() {
      const alice = yield* MemoryChat.connect
      const bob = yield* MemoryChat.connect
      for (const client of [alice, bob]) {
        yield* client.sendLine("/join busy")
        yield* client.readUntil((line) => line.startsWith("*** joined #busy"))
      }
      yield* alice.readUntil((line) => line === "*** guest-2 joined #busy")
      yield* Effect.forEach(Array.from({ length: elsewhere }), () => MemoryChat.connect, { discard: true })
      yield* MemoryChat.waitFor((s) => s.clients === elsewhere + 2)

      const before = resumes.count
      for (let i = 0; i < messages; i++) {
        yield* alice.sendLine(`message ${i}`)
        assert.strictEqual(yield* bob.readLine, `<guest-1> message ${i}`)
      }
      return (resumes.count - before) / messages
    }).pipe(
      // The idle clients never read: shutdown need not wait for them to take its notice.
      Effect.provide(MemoryChat.layer({ rate: 0, shutdownGrace: Duration.zero })),
      Effect.supervised(resumes)
    )
  })

describe("the cost of a room message", () => {
  // A defect this found: every event went through one PubSub to every
  // connected client, whose fiber woke to filter it by room (7 wake-ups per
  // message alone, 207 with 200 clients elsewhere). The hub now folds an
  // event only into the outboxes of those who may see it (`Fanout`).
  it.scoped("does not grow with the number of clients in other rooms", () =>
    Effect.gen(function*() {
      const alone = yield* wakeUpsPerMessage(0)
      const crowded = yield* wakeUpsPerMessage(200)
      assert.isAtMost(crowded, 2 * alone, `${alone} wake-ups per message alone, ${crowded} with 200 clients elsewhere`)
    }), 30_000)
})
