/**
 * Leaks: 10,000 connections come and go, 2,000 of each way a connection can
 * end (end of stream, `/quit`, reset, idle, too slow), mixed and concurrent,
 * on the in-memory layer. Afterwards the hub holds no client, no nick and no
 * room (its own `snapshot` says so), no timer is left waiting, and the
 * number of live fibers is back where it was before the first connection.
 *
 * Counting fibers: `Supervisor.track` is installed with `Effect.supervised`
 * around building the server and running the test, so it sees every fiber
 * forked from there on, transitively: the accept loop, each connection's
 * handler and its reader, pump and writer, whatever they fork, and the
 * test's own fibers. A fiber is in the set from its start to its end, so a
 * fiber that is never interrupted or completed stays in the count. The test
 * checks that the count does grow with the connections (so the server's
 * fibers really are seen), and that it comes back to the baseline once they
 * are gone. A fiber started outside Effect's fork (a Node callback calling
 * `runFork`) would escape it; the in-memory layer has none.
 *
 * Time is a `ManualClock` rather than the `TestClock`, which would take
 * more than a minute over the timers these connections start (see there).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Queue, Supervisor } from "effect"
import { SocketMemory } from "../../src/index.js"
import * as ManualClock from "../support/ManualClock.js"
import * as MemoryChat from "../support/MemoryChat.js"

type Client = SocketMemory.MemoryClient

const perKind = 2_000
const perRound = 10
const rounds = perKind / perRound

const welcome = (client: Client) => client.readUntil((line) => line.startsWith("*** type /help"))

const connection = Effect.flatMap(SocketMemory.SocketMemory, (memory) => memory.connect)

/** Ends its stream after moving to another room (which is created and then emptied). */
const cleanClose = (i: number) =>
  Effect.gen(function*() {
    const client = yield* connection
    yield* welcome(client)
    yield* client.sendLine(`/join room-${i % 13}`)
    yield* client.readUntil((line) => line.startsWith("*** joined #room-"))
    yield* client.sendLine(`hello from ${i}`)
    yield* client.end
    yield* client.readToEnd
  }).pipe(Effect.scoped)

/** Takes a nick, then quits with a reason. */
const quit = (i: number) =>
  Effect.gen(function*() {
    const client = yield* connection
    yield* welcome(client)
    yield* client.sendLine(`/nick quitter${i}`)
    yield* client.sendLine(`/quit bye ${i}`)
    yield* client.readUntil((line) => line === "*** bye")
    assert.deepStrictEqual(yield* client.readToEnd, [])
  }).pipe(Effect.scoped)

/** Sends half a line and resets. */
const reset = (i: number) =>
  Effect.gen(function*() {
    const client = yield* connection
    yield* welcome(client)
    yield* client.send(`half a line from ${i}`)
    yield* client.reset
  }).pipe(Effect.scoped)

/** Asks for help over and over and never reads a word of it. */
const tooSlow = Effect.gen(function*() {
  const client = yield* connection
  for (let i = 0; i < 12; i++) yield* client.send("/help\n".repeat(5))
  // It reads nothing until the server has cut it off.
  yield* client.closed
  yield* client.readToEnd
}).pipe(Effect.scoped)

/** Takes a nick and says nothing more; returns once it has been told it is idle and closed. */
const idle = (i: number) =>
  Effect.gen(function*() {
    const client = yield* connection
    yield* welcome(client)
    yield* client.sendLine(`/nick idler${i}`)
    yield* client.readUntil((line) => line === "*** disconnected: idle for 1m")
    assert.deepStrictEqual(yield* client.readToEnd, [])
  }).pipe(Effect.scoped)

/** What the witness makes of a line: why someone came or went, or the line itself if it is none of those. */
const classify = (line: string): string => {
  const match =
    /^\*\*\* \S+ (?:(joined #lobby)|(is now) \S+|left #lobby \((too slow|idle|quit|connection closed|joined))/.exec(
      line
    )
  return match === null ? `unexpected: ${line}` : match[1] ?? match[2] ?? match[3]!
}

/** A client in `#lobby` for the whole test that reads everything, counting why people came and went. */
const witness = Effect.gen(function*() {
  const client = yield* connection
  yield* welcome(client)
  yield* client.sendLine("/nick witness")
  yield* client.readUntil((line) => line === "*** you are now witness")
  const lines = yield* Queue.unbounded<string>()
  yield* client.readLine.pipe(Effect.flatMap((line) => Queue.offer(lines, line)), Effect.forever, Effect.forkScoped)
  const tally = new Map<string, number>()
  /** Sends `/who` and counts every line up to its answer; it also keeps the witness from going idle. */
  const sync = Effect.gen(function*() {
    yield* client.sendLine("/who")
    while (true) {
      const line = yield* Queue.take(lines)
      if (line.startsWith("*** in #lobby:")) return line
      const kind = classify(line)
      tally.set(kind, (tally.get(kind) ?? 0) + 1)
    }
  })
  return { client, sync, tally } as const
})

const liveFibers = (supervisor: Supervisor.Supervisor<Array<Fiber.RuntimeFiber<unknown, unknown>>>) =>
  supervisor.value.pipe(Effect.map((fibers) => fibers.length))

/** Yields until the count of live fibers is `expected`, for a bounded number of turns. */
const settle = (
  supervisor: Supervisor.Supervisor<Array<Fiber.RuntimeFiber<unknown, unknown>>>,
  expected: number
) =>
  liveFibers(supervisor).pipe(
    Effect.zipLeft(Effect.yieldNow()),
    Effect.repeat({ until: (count) => count === expected, times: 1_000 })
  )

describe("10,000 connections of every kind", () => {
  it.scoped("leave no client, nick, room or fiber behind", () =>
    Effect.gen(function*() {
      const supervisor = yield* Supervisor.track
      const clock = ManualClock.make()
      yield* Effect.gen(function*() {
        const baseline = yield* liveFibers(supervisor)
        const observer = yield* witness
        yield* observer.sync

        for (let round = 0; round < rounds; round++) {
          const ids = Array.from({ length: perRound }, (_, k) => round * perRound + k)
          // The idle clients connect first, at the round's start, and wait for their timeout.
          const idlers = yield* Effect.forEach(ids, idle, { concurrency: "unbounded" }).pipe(Effect.fork)
          yield* MemoryChat.waitFor((s) => s.nicks === 1 + perRound && s.clients === 1 + perRound)
          if (round === 0) {
            // The server's fibers are among those counted: each connection here has the one
            // serving it and, over the in-memory socket layer, the one reading it.
            assert.isAtLeast(yield* liveFibers(supervisor), baseline + 2 * perRound)
          }
          // The four other kinds, all at once.
          yield* Effect.forEach(
            ids.flatMap((i) => [cleanClose(i), quit(i), reset(i), tooSlow]),
            (cycle) => cycle,
            { concurrency: 6, discard: true }
          )
          // Half the idle timeout, a word from the witness, the other half: only the idle clients go.
          yield* observer.sync
          yield* clock.advance("30 seconds")
          yield* observer.sync
          yield* clock.advance("30 seconds")
          yield* Fiber.join(idlers)
          yield* observer.sync

          const state = yield* MemoryChat.snapshot
          assert.deepStrictEqual(
            { clients: state.clients, nicks: state.nicks, rooms: state.rooms },
            { clients: 1, nicks: 1, rooms: [{ name: "lobby", members: ["witness"] }] },
            `after round ${round}`
          )
        }

        // Everyone's leaving was announced once, with its reason.
        const total = 5 * perKind
        assert.deepStrictEqual(Object.fromEntries(observer.tally), {
          "joined #lobby": total,
          "is now": 2 * perKind,
          "connection closed": perKind,
          "joined": perKind,
          "quit": perKind,
          "idle": perKind,
          "too slow": perKind
        })
        yield* observer.client.sendLine("/quit")
        yield* MemoryChat.waitFor((s) => s.clients === 0)

        assert.deepStrictEqual(yield* MemoryChat.snapshot, { clients: 0, nicks: 0, rooms: [], shuttingDown: false })
        assert.strictEqual(yield* settle(supervisor, baseline), baseline)
        assert.strictEqual(clock.pending(), 0)
      }).pipe(
        Effect.provide(MemoryChat.layer({ rate: 0, maxQueue: 200, idleTimeout: "1m" }, { clientReadBuffer: 2 })),
        Effect.withClock(clock),
        Effect.supervised(supervisor)
      )
    }), 120_000)
})
