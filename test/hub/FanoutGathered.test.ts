/**
 * A crowd's arrivals and departures reach each member in one write: the
 * fanout gathers a room's joins and parts until `flush` (the hub flushes on
 * the next quiet turn of the event loop), and anything else written to a
 * member first gives it what it was due, so every client still sees exactly
 * what it would see with each event written at once, in the same order.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck, HashMap, Option } from "effect"
import type { Command } from "../../src/domain/Command.js"
import type { ClientId, Nick } from "../../src/domain/Domain.js"
import { DisconnectReason, lobby, RoomName } from "../../src/domain/Domain.js"
import type { Event, Sink } from "../../src/domain/Event.js"
import { Joined, Left, Replied, Said } from "../../src/domain/Event.js"
import * as Fanout from "../../src/hub/Fanout.js"
import * as HubState from "../../src/hub/HubState.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

/** A sink that records each write (text and lines) and a close as `(close)`. */
const recording = () => {
  const writes: Array<{ readonly text: string; readonly count: number }> = []
  const sink: Sink = {
    write: (text, count) => void writes.push({ text, count }),
    close: () => void writes.push({ text: "(close)", count: 0 })
  }
  return { writes, sink, text: () => writes.map((w) => w.text).join("") }
}

const nick = (id: number) => `c${id}` as Nick
const joined = (id: number, room = lobby) => new Joined({ client: id, nick: nick(id), room, seq: 0 })
const parted = (id: number, room = lobby) =>
  new Left({ client: id, nick: nick(id), room, seq: 0, reason: { _tag: "Parted", message: undefined } })
const said = (id: number, text: string, room = lobby) => new Said({ client: id, nick: nick(id), room, seq: 0, text })

const setUp = (...ids: Array<number>) => {
  const fanout = Fanout.make()
  const sinks = new Map(ids.map((id) => [id, recording()] as const))
  for (const [id, { sink }] of sinks) fanout.add(id, sink, LineProtocol.render)
  return { fanout, sinks, of: (id: number) => sinks.get(id)! }
}

describe("Fanout gathers arrivals and departures", () => {
  it("gives each member the joins after its own in one write, when flushed", () => {
    const { fanout, of } = setUp(1, 2, 3, 4)
    fanout.deliverAll([joined(1), joined(2), joined(3), joined(4)])
    assert.strictEqual(fanout.gathered(), 4)
    assert.deepStrictEqual(of(1).writes, [], "nothing written before the flush")
    fanout.flush()
    assert.strictEqual(fanout.gathered(), 0)
    assert.deepStrictEqual(of(1).writes, [{
      text: "*** c2 joined #lobby\n*** c3 joined #lobby\n*** c4 joined #lobby\n",
      count: 3
    }])
    assert.deepStrictEqual(of(3).writes, [{ text: "*** c4 joined #lobby\n", count: 1 }])
    assert.deepStrictEqual(of(4).writes, [], "never its own join, nothing before it")
  })

  it("writes what a member was due before anything else reaches it", () => {
    const { fanout, of } = setUp(1, 2, 3)
    fanout.deliverAll([
      joined(1),
      joined(2),
      new Replied({ client: 1, replies: [{ _tag: "Help" }], close: undefined }),
      joined(3)
    ])
    const help = of(1).writes[1]!.text
    assert.deepStrictEqual(of(1).writes.map((w) => w.text), ["*** c2 joined #lobby\n", help])
    fanout.flush()
    assert.deepStrictEqual(of(1).writes.map((w) => w.text), ["*** c2 joined #lobby\n", help, "*** c3 joined #lobby\n"])
  })

  it("writes the gathered notices before a message in the room", () => {
    const { fanout, of } = setUp(1, 2, 3)
    fanout.deliverAll([joined(1), joined(2), joined(3), said(3, "hello")])
    assert.strictEqual(fanout.gathered(), 0, "the message closed the room's window")
    assert.deepStrictEqual(of(1).writes.map((w) => w.text), [
      "*** c2 joined #lobby\n*** c3 joined #lobby\n",
      "<c3> hello\n"
    ])
    assert.deepStrictEqual(of(3).writes.map((w) => w.text), [])
  })

  it("gives a leaver what it was due before its part, and nothing after", () => {
    const { fanout, of } = setUp(1, 2, 3)
    fanout.deliverAll([joined(1), joined(2), joined(3), parted(2), joined(4)])
    fanout.flush()
    assert.strictEqual(of(2).text(), "*** c3 joined #lobby\n")
    assert.strictEqual(
      of(1).text(),
      "*** c2 joined #lobby\n*** c3 joined #lobby\n*** c2 left #lobby (left)\n*** c4 joined #lobby\n"
    )
  })

  it("writes a departure from the server on its own, not gathered (IRC shows it once however many rooms)", () => {
    const { fanout, of } = setUp(1, 2)
    fanout.deliverAll([joined(1), joined(2)])
    fanout.flush()
    fanout.deliverAll([
      new Left({ client: 2, nick: nick(2), room: lobby, seq: 0, reason: DisconnectReason.Quit({ message: "bye" }) })
    ])
    assert.strictEqual(fanout.gathered(), 0)
    assert.strictEqual(of(1).writes.at(-1)!.text, "*** c2 left #lobby (quit: bye)\n")
  })

  // Random conversations, played through the pure transitions: each client sees the same text
  // whether each event is written at once or events come in batches flushed at random points.
  const room = (n: number) => (n === 0 ? lobby : RoomName(`r${n}`))
  const step = FastCheck.oneof(
    FastCheck.constant({ op: "connect" as const }),
    FastCheck.record({ op: FastCheck.constant("quit" as const), who: FastCheck.nat(9) }),
    FastCheck.record({ op: FastCheck.constant("join" as const), who: FastCheck.nat(9), room: FastCheck.nat(2) }),
    FastCheck.record({ op: FastCheck.constant("part" as const), who: FastCheck.nat(9), room: FastCheck.nat(2) }),
    FastCheck.record({ op: FastCheck.constant("say" as const), who: FastCheck.nat(9), room: FastCheck.nat(2) }),
    FastCheck.record({ op: FastCheck.constant("whisper" as const), who: FastCheck.nat(9), to: FastCheck.nat(9) }),
    FastCheck.record({ op: FastCheck.constant("rename" as const), who: FastCheck.nat(9) }),
    FastCheck.record({ op: FastCheck.constant("deliver" as const), flush: FastCheck.boolean() })
  )

  it.prop(
    "every client sees the same text as with each event written at once",
    [FastCheck.array(step, { maxLength: 80 })],
    ([steps]) => {
      let state = HubState.make({ history: 3 })
      const live: Array<ClientId> = []
      let nextId = 1
      let renames = 0
      const atOnce = Fanout.make()
      const batched = Fanout.make()
      const sinks = new Map<
        ClientId,
        { readonly atOnce: ReturnType<typeof recording>; readonly batched: ReturnType<typeof recording> }
      >()
      let pending: Array<Event> = []
      const commit = (transition: HubState.Transition<unknown>) => {
        state = transition.state
        for (const event of transition.events) atOnce.deliver(event)
        pending.push(...transition.events)
      }
      const nickOf = (id: ClientId): string =>
        Option.getOrThrow(Option.map(HashMap.get(state.clients, id), (client) => client.nick))
      const apply = (id: ClientId, command: Command) => commit(HubState.applyAll(state, id, [Either.right(command)]))
      for (const s of steps) {
        if (s.op === "deliver") {
          batched.deliverAll(pending)
          pending = []
          if (s.flush) batched.flush()
          continue
        }
        if (s.op === "connect") {
          const id = nextId++
          const sink = { atOnce: recording(), batched: recording() }
          sinks.set(id, sink)
          atOnce.add(id, sink.atOnce.sink, LineProtocol.render)
          batched.add(id, sink.batched.sink, LineProtocol.render)
          const connected = HubState.connect(state, id, { room: lobby })
          if (connected._tag === "Right") {
            commit(connected.right)
            live.push(id)
          }
          continue
        }
        if (live.length === 0) continue
        const id = live[s.who % live.length]!
        switch (s.op) {
          case "quit":
            commit(HubState.disconnect(state, id, DisconnectReason.Quit({ message: undefined })))
            live.splice(live.indexOf(id), 1)
            // As the hub does: the sink is forgotten once the departure is delivered (not flushed).
            batched.deliverAll(pending)
            pending = []
            atOnce.remove(id)
            batched.remove(id)
            break
          case "join":
            apply(id, { _tag: "Join", room: room(s.room), alone: false })
            break
          case "part":
            apply(id, { _tag: "Part", room: room(s.room), message: undefined })
            break
          case "say":
            apply(id, { _tag: "Say", text: "hi", room: room(s.room) })
            break
          case "whisper":
            apply(id, { _tag: "Whisper", to: nickOf(live[s.to % live.length]!), text: "psst" })
            break
          case "rename":
            apply(id, { _tag: "Rename", nick: `n${++renames}` as Nick })
            break
        }
      }
      batched.deliverAll(pending)
      batched.flush()
      for (const [id, sink] of sinks) assert.strictEqual(sink.batched.text(), sink.atOnce.text(), `client ${id}`)
    },
    { fastCheck: { seed: 11, numRuns: 400 } }
  )
})
