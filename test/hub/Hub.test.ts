/**
 * The node (`Hub`) over the in-memory backplane: registering clients with
 * their sinks, delivering the backplane's events to them, and shutting down,
 * which is the node's own. Each client's sink puts its lines on a queue, so a
 * test waits for a specific line rather than for time to pass.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Scope as ScopeType } from "effect"
import { Effect, Exit, Fiber, Layer, Queue, Scope } from "effect"
import type { DisconnectReason } from "../../src/domain/Domain.js"
import { DisconnectReason as Reason, lobby, Nick } from "../../src/domain/Domain.js"
import * as Backplane from "../../src/hub/Backplane.js"
import { Hub } from "../../src/hub/Hub.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

const layer = Hub.Default.pipe(Layer.provide(Backplane.layerMemory({ history: 50 })))

interface Client {
  readonly id: number
  /** The next line the client is sent, without `\n`; a close reads `(close: REASON)`. */
  readonly line: Effect.Effect<string>
  /** Everything sent so far and not yet read. */
  readonly pending: Effect.Effect<Array<string>>
  readonly send: (line: string) => Effect.Effect<void, Backplane.BackplaneError>
  /** The connection ends for `reason`, as `Connection` ends it: the reason decided, then the scope closed. */
  readonly leave: (reason: DisconnectReason) => Effect.Effect<void>
}

/** A client in `#lobby`, its sink collecting the line protocol's lines, in a scope of its own. */
const connect = Effect.gen(function*() {
  const hub = yield* Hub
  const lines = yield* Queue.unbounded<string>()
  const scope: ScopeType.CloseableScope = yield* Scope.make()
  let reason: DisconnectReason | undefined
  const session = yield* hub.connect({
    room: lobby,
    render: LineProtocol.render,
    reason: () => reason,
    sink: {
      write: (text) => {
        for (const line of text.split(/(?<=\n)/)) lines.unsafeOffer(line.slice(0, -1))
      },
      close: (why) => {
        lines.unsafeOffer(`(close: ${LineProtocol.leaveReason(why)})`)
      }
    }
  }).pipe(Scope.extend(scope))
  const client: Client = {
    id: session.id,
    line: Queue.take(lines),
    pending: Effect.map(Queue.takeAll(lines), (chunk) => Array.from(chunk)),
    send: (line) => {
      const input = LineProtocol.parse(line)
      return input === undefined ? Effect.void : Effect.asVoid(hub.execute(session.id, [input]))
    },
    leave: (why) =>
      Effect.suspend(() => {
        reason = why
        return Scope.close(scope, Exit.void)
      })
  }
  return client
})

/** Reads `count` lines. */
const lines = (client: Client, count: number) => Effect.replicateEffect(client.line, count)

const welcomed = (client: Client) => lines(client, 2)

describe("Hub", () => {
  it.scoped("delivers the backplane's events to the clients that may see them", () =>
    Effect.gen(function*() {
      const a = yield* connect
      assert.deepStrictEqual(yield* welcomed(a), [
        "*** welcome to chat, you are guest-1 in #lobby (1 here)",
        "*** type /help for commands; lines not starting with / go to the room"
      ])
      const b = yield* connect
      yield* welcomed(b)
      assert.strictEqual(yield* a.line, "*** guest-2 joined #lobby")
      yield* a.send("hello")
      assert.strictEqual(yield* b.line, "<guest-1> hello")
      yield* b.leave(Reason.Quit({ message: "later" }))
      assert.strictEqual(yield* a.line, "*** guest-2 left #lobby (quit: later)")
      assert.deepStrictEqual(yield* a.pending, [])
    }).pipe(Effect.provide(layer)))

  describe("shutdown", () => {
    it.scoped("tells every client and closes it; the hub is left empty once they have gone", () =>
      Effect.gen(function*() {
        const hub = yield* Hub
        const clients = [yield* connect, yield* connect, yield* connect]
        const [a, b, c] = clients
        yield* c!.send("/join dev")
        assert.deepStrictEqual((yield* lines(a!, 5)).slice(2), [
          "*** guest-2 joined #lobby",
          "*** guest-3 joined #lobby",
          "*** guest-3 left #lobby (joined #dev)"
        ])
        assert.deepStrictEqual((yield* lines(b!, 4)).slice(2), [
          "*** guest-3 joined #lobby",
          "*** guest-3 left #lobby (joined #dev)"
        ])
        assert.deepStrictEqual((yield* lines(c!, 3)).slice(2), ["*** joined #dev (1 here: guest-3)"])

        const shutdown = yield* Effect.fork(hub.shutdown("5 seconds"))
        for (const client of clients) {
          // What a user reads ends here: the outbox takes nothing after a close (test/server/Outbox.test.ts).
          assert.deepStrictEqual(yield* lines(client, 2), [
            "*** server shutting down",
            "(close: server shutting down)"
          ])
        }
        for (const client of clients) yield* client.leave(Reason.ShuttingDown())
        yield* Fiber.join(shutdown)
        assert.deepStrictEqual(yield* hub.snapshot, { clients: 0, nicks: 0, rooms: [], shuttingDown: true })
      }).pipe(Effect.provide(layer)))

    it.scoped("a connect after shutdown gets the notice and a close, and joins nothing", () =>
      Effect.gen(function*() {
        const hub = yield* Hub
        const a = yield* connect
        yield* welcomed(a)
        const shutdown = yield* Effect.fork(hub.shutdown("5 seconds"))
        assert.deepStrictEqual(yield* lines(a, 2), ["*** server shutting down", "(close: server shutting down)"])
        const late = yield* connect
        assert.deepStrictEqual(yield* lines(late, 2), ["*** server shutting down", "(close: server shutting down)"])
        assert.deepStrictEqual(yield* hub.snapshot, {
          clients: 1,
          nicks: 1,
          rooms: [{ name: lobby, members: [Nick("guest-1")] }],
          shuttingDown: true
        })
        yield* a.leave(Reason.ShuttingDown())
        yield* Fiber.join(shutdown)
        assert.deepStrictEqual(yield* a.pending, [])
        assert.deepStrictEqual(yield* late.pending, [])
      }).pipe(Effect.provide(layer)))

    it.scoped("is announced once", () =>
      Effect.gen(function*() {
        const hub = yield* Hub
        const a = yield* connect
        yield* welcomed(a)
        const first = yield* Effect.fork(hub.shutdown("5 seconds"))
        const second = yield* Effect.fork(hub.shutdown("5 seconds"))
        assert.deepStrictEqual(yield* lines(a, 2), ["*** server shutting down", "(close: server shutting down)"])
        yield* a.leave(Reason.ShuttingDown())
        yield* Fiber.join(first)
        yield* Fiber.join(second)
        assert.deepStrictEqual(yield* a.pending, [])
      }).pipe(Effect.provide(layer)))
  })
})
