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
import type { Event, Render, Sink } from "../../src/domain/Event.js"
import { Joined, Left, Renamed, Replied, Said } from "../../src/domain/Event.js"
import * as Fanout from "../../src/hub/Fanout.js"
import * as HubState from "../../src/hub/HubState.js"
import * as IrcRender from "../../src/protocol/irc/IrcRender.js"
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

  it("gathers departures from the server and renames too; IRC shows each once to a client that shared several rooms", () => {
    const irc = IrcRender.make("irc.test").render
    const fanout = Fanout.make()
    const line = recording()
    const ircClient = recording()
    fanout.add(1, line.sink, LineProtocol.render)
    fanout.add(2, ircClient.sink, irc)
    fanout.add(3, recording().sink, LineProtocol.render)
    fanout.add(4, recording().sink, LineProtocol.render)
    const dev = RoomName("dev")
    fanout.deliverAll([joined(1), joined(2), joined(3), joined(4), joined(1, dev), joined(2, dev), joined(3, dev)])
    fanout.flush()
    line.writes.length = 0
    ircClient.writes.length = 0
    const gone = (id: number, room: RoomName) =>
      new Left({ client: id, nick: nick(id), room, seq: 0, reason: DisconnectReason.Quit({ message: "bye" }) })
    const renamed = (room: RoomName) => new Renamed({ client: 1, nick: nick(1), room, seq: 0, to: "one" as Nick })
    fanout.deliverAll([gone(3, lobby), gone(3, dev), gone(4, lobby), renamed(lobby), renamed(dev)])
    assert.strictEqual(fanout.gathered(), 5)
    fanout.flush()
    assert.deepStrictEqual(line.writes.map((w) => w.text), [
      "*** c3 left #lobby (quit: bye)\n*** c4 left #lobby (quit: bye)\n",
      "*** c3 left #dev (quit: bye)\n"
    ], "the line protocol: once per room")
    assert.deepStrictEqual(ircClient.text().split("\r\n").filter((l) => l !== ""), [
      ":c3!c3@chat QUIT :Quit: bye",
      ":c4!c4@chat QUIT :Quit: bye",
      ":c1!c1@chat NICK :one"
    ], "IRC: once per client")
  })

  // Random conversations, played through the pure transitions, each event written at once or in
  // batches flushed at random points. What a client sees must be the same: each room's lines in the
  // same order, everything else in the same order, and each of those after the same room lines.
  // (Notices of different rooms gathered together may come room by room: one order per room.)
  const tagging: Render = {
    roomEvent: (event) => ({ text: `room ${event.room}: ${event._tag} ${event.nick}\n`, count: 1 }),
    whisper: (event, side) => ({ text: `other: ${side} ${event.text}\n`, count: 1 }),
    replies: (replies) => ({ text: `other: ${replies.map((r) => r._tag).join(",")}\n`, count: 1 })
  }
  /** Per room, its lines in order; and each other line with how many lines of each room came before it. */
  const seenAs = (text: string) => {
    const rooms = new Map<string, Array<string>>()
    const others: Array<string> = []
    for (const line of text.split("\n").filter((l) => l !== "")) {
      const room = /^room (\S+):/.exec(line)?.[1]
      if (room === undefined) {
        const before = Array.from(rooms, ([name, lines]) => `${name}=${lines.length}`).sort().join(" ")
        others.push(`${line} after ${before}`)
      } else {
        rooms.set(room, [...(rooms.get(room) ?? []), line])
      }
    }
    return { rooms: Object.fromEntries(rooms), others }
  }
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
    "every client sees each room's lines, and everything else, as with each event written at once",
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
          atOnce.add(id, sink.atOnce.sink, tagging)
          batched.add(id, sink.batched.sink, tagging)
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
      for (const [id, sink] of sinks) {
        assert.deepStrictEqual(seenAs(sink.batched.text()), seenAs(sink.atOnce.text()), `client ${id}`)
      }
    },
    { fastCheck: { seed: 11, numRuns: 1000 } }
  )
})
