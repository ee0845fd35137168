/**
 * A node's delivery (`Fanout`): each event reaches only the local clients
 * that may see it, with membership following the events themselves, and is
 * rendered once per protocol. Each client here has a sink that collects its
 * lines as the line protocol renders them, so the expectations are what a
 * user would read.
 */
import { assert, describe, it } from "@effect/vitest"
import type { ClientId, DisconnectReason, LeaveReason, RoomName } from "../../src/domain/Domain.js"
import { DisconnectReason as Reason, Nick, NoSuchNick, RoomName as Room } from "../../src/domain/Domain.js"
import type { Event, Render, Reply, RoomEvent, Sink } from "../../src/domain/Event.js"
import { Joined, Left, Renamed, Replied, Said, Whispered } from "../../src/domain/Event.js"
import * as Fanout from "../../src/hub/Fanout.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

const lobby = Room("lobby")
const dev = Room("dev")

const me = 1
const other = 2
const third = 3

/** What a client's sink was given: its lines, and a close as a value. */
type Output = string | { readonly _tag: "Close"; readonly reason: DisconnectReason }

/** A sink that keeps each line it is written, checking that `count` is the number of lines. */
const collecting = (out: Array<Output>): Sink => ({
  write: (text, count) => {
    const lines = text.split(/(?<=\n)/)
    assert.strictEqual(lines.length, count, `count of ${JSON.stringify(text)}`)
    out.push(...lines)
  },
  close: (reason) => {
    out.push({ _tag: "Close", reason })
  }
})

/**
 * A fanout with clients 1, 2 and 3 registered, all speaking the line
 * protocol; delivers `events` in order and returns what each client got.
 */
const deliver = (events: ReadonlyArray<Event>): (id: ClientId) => Array<Output> => {
  const fanout = Fanout.make()
  const outs = new Map<ClientId, Array<Output>>()
  for (const id of [me, other, third]) {
    const out: Array<Output> = []
    outs.set(id, out)
    fanout.add(id, collecting(out), LineProtocol.render)
  }
  for (const event of events) fanout.deliver(event)
  return (id) => outs.get(id)!
}

const nick = (client: ClientId) => Nick(`c${client}`)

// Numbers in the room's order do not matter to delivery; each event gets its own.
let seq = 0
const facts = (client: ClientId, room: RoomName) => ({ client, nick: nick(client), room, seq: ++seq })

const joined = (client: ClientId, room: RoomName): Joined => new Joined(facts(client, room))

/** The client entered `room` and is shown `replies` (its welcome): the two events a join gives. */
const entered = (client: ClientId, room: RoomName, replies: ReadonlyArray<Reply> = []): Array<Event> => [
  joined(client, room),
  new Replied({ client, replies, close: undefined })
]

const departed = (client: ClientId, room: RoomName, reason: LeaveReason = Reason.Quit({ message: undefined })): Left =>
  new Left({ ...facts(client, room), reason })

const spoke = (client: ClientId, room: RoomName, text: string): Said => new Said({ ...facts(client, room), text })

const welcome = (nickName: string, room: RoomName, history: ReadonlyArray<Said> = []): Reply => ({
  _tag: "Welcome",
  nick: Nick(nickName),
  room,
  here: 1,
  history
})

describe("Fanout", () => {
  it("shows nothing of a room before the client's own Joined", () => {
    const seen = deliver([joined(other, lobby), spoke(other, lobby, "early"), departed(third, lobby)])
    assert.deepStrictEqual(seen(me), [])
  })

  it("shows the welcome after the client's own Joined, and the room from then on", () => {
    const seen = deliver([
      joined(other, lobby),
      spoke(other, lobby, "before"),
      ...entered(me, lobby, [welcome("c1", lobby, [spoke(other, lobby, "history")])]),
      spoke(other, lobby, "after"),
      joined(third, lobby),
      departed(other, lobby, Reason.Idle())
    ])
    assert.deepStrictEqual(seen(me), [
      "*** welcome to chat, you are c1 in #lobby (1 here)\n",
      "*** type /help for commands; lines not starting with / go to the room\n",
      "<c2> history\n",
      "<c2> after\n",
      "*** c3 joined #lobby\n",
      "*** c2 left #lobby (idle)\n"
    ])
  })

  it("does not show the client its own room events", () => {
    const seen = deliver([
      ...entered(me, lobby),
      ...entered(other, lobby),
      spoke(me, lobby, "mine"),
      spoke(other, lobby, "theirs")
    ])
    assert.deepStrictEqual(seen(me), ["*** c2 joined #lobby\n", "<c2> theirs\n"])
    assert.deepStrictEqual(seen(other), ["<c1> mine\n"])
  })

  it("does not show another room's events", () => {
    const seen = deliver([
      ...entered(me, lobby),
      ...entered(other, dev),
      joined(third, dev),
      spoke(other, dev, "in dev"),
      departed(other, dev),
      new Renamed({ ...facts(third, dev), to: Nick("x") })
    ])
    assert.deepStrictEqual(seen(me), [])
  })

  it("switches room exactly at the client's own Left and Joined after a join", () => {
    const seen = deliver([
      ...entered(me, lobby),
      joined(other, dev),
      joined(third, lobby),
      spoke(other, dev, "dev before"),
      spoke(third, lobby, "lobby before"),
      departed(me, lobby, { _tag: "Moved", to: dev }),
      ...entered(me, dev, [{
        _tag: "Entered",
        room: dev,
        members: [nick(me), nick(other)],
        history: [spoke(other, dev, "dev before")]
      }]),
      spoke(other, dev, "dev after"),
      spoke(third, lobby, "lobby after"),
      departed(third, lobby, { _tag: "Moved", to: dev }),
      joined(third, dev)
    ])
    assert.deepStrictEqual(seen(me), [
      "*** c3 joined #lobby\n",
      "<c3> lobby before\n",
      "*** joined #dev (2 here: c1, c2)\n",
      "<c2> dev before\n",
      "<c2> dev after\n",
      "*** c3 joined #dev\n"
    ])
    // c3 came after c1 in both rooms: it sees c1 go, not come.
    assert.deepStrictEqual(seen(third), ["*** c1 left #lobby (joined #dev)\n"])
  })

  it("shows others' join and leave notices in the room, not one's own", () => {
    const seen = deliver([
      ...entered(me, lobby),
      ...entered(other, lobby),
      departed(me, lobby, { _tag: "Moved", to: dev })
    ])
    assert.deepStrictEqual(seen(me), ["*** c2 joined #lobby\n"])
    assert.deepStrictEqual(seen(other), ["*** c1 left #lobby (joined #dev)\n"])
  })

  it("shows a rename as the reply to the renamer and the notice to the room", () => {
    const seen = deliver([
      ...entered(me, lobby),
      ...entered(other, lobby),
      ...entered(third, dev),
      new Renamed({ ...facts(other, lobby), to: Nick("bob") }),
      new Replied({ client: other, replies: [{ _tag: "NickChanged", nick: Nick("bob") }], close: undefined })
    ])
    assert.deepStrictEqual(seen(me), ["*** c2 joined #lobby\n", "*** c2 is now bob\n"])
    assert.deepStrictEqual(seen(other), ["*** you are now bob\n"])
    assert.deepStrictEqual(seen(third), [])
  })

  it("delivers to every room a client is in, and only there", () => {
    const seen = deliver([
      ...entered(me, lobby),
      ...entered(me, dev),
      joined(other, lobby),
      joined(third, dev),
      spoke(other, lobby, "in lobby"),
      spoke(third, dev, "in dev"),
      departed(me, dev, { _tag: "Parted", message: undefined }),
      spoke(third, dev, "after you left")
    ])
    assert.deepStrictEqual(seen(me), [
      "*** c2 joined #lobby\n",
      "*** c3 joined #dev\n",
      "<c2> in lobby\n",
      "<c3> in dev\n"
    ])
    assert.deepStrictEqual(seen(third), ["*** c1 left #dev (left)\n"])
  })

  describe("Whispered", () => {
    const whisper = (from: ClientId, to: ClientId): Whispered =>
      new Whispered({ from, fromNick: nick(from), to, toNick: nick(to), text: "psst" })

    it("shows the receiver its line and the sender its copy, whatever their rooms", () => {
      const seen = deliver([...entered(me, lobby), ...entered(other, dev), joined(third, lobby), whisper(other, me)])
      assert.deepStrictEqual(seen(me), ["*** c3 joined #lobby\n", "[pm] <c2> psst\n"])
      assert.deepStrictEqual(seen(other), ["[pm -> c1] psst\n"])
      assert.deepStrictEqual(seen(third), [])
    })

    it("to oneself yields both lines, received first", () => {
      assert.deepStrictEqual(deliver([...entered(me, lobby), whisper(me, me)])(me), [
        "[pm] <c1> psst\n",
        "[pm -> c1] psst\n"
      ])
    })
  })

  describe("Replied", () => {
    const failed: ReadonlyArray<Reply> = [
      { _tag: "Failed", error: new NoSuchNick({ nick: "a" }) },
      { _tag: "Failed", error: new NoSuchNick({ nick: "b" }) }
    ]

    it("shows its lines to its client only", () => {
      const seen = deliver([
        ...entered(me, lobby),
        ...entered(other, lobby),
        new Replied({ client: me, replies: failed, close: undefined })
      ])
      assert.deepStrictEqual(seen(me), ["*** c2 joined #lobby\n", "! no such nick a\n", "! no such nick b\n"])
      assert.deepStrictEqual(seen(other), [])
    })

    it("with close closes after its lines", () => {
      const reason = Reason.Quit({ message: "gone fishing" })
      const seen = deliver([
        ...entered(me, lobby),
        new Replied({ client: me, replies: [{ _tag: "Bye" }], close: reason })
      ])
      assert.deepStrictEqual(seen(me), ["*** bye\n", { _tag: "Close", reason }])
    })

    it("reaches a client that has not entered a room yet", () => {
      const seen = deliver([
        new Replied({ client: me, replies: [{ _tag: "ShuttingDown" }], close: Reason.ShuttingDown() })
      ])
      assert.deepStrictEqual(seen(me), [
        "*** server shutting down\n",
        { _tag: "Close", reason: Reason.ShuttingDown() }
      ])
    })
  })

  describe("sinks and rendering", () => {
    it("lets notices about others wait for company, never messages", () => {
      const calls: Array<readonly [string, boolean | undefined]> = []
      const fanout = Fanout.make()
      fanout.add(me, { write: (text, _, canWait) => calls.push([text, canWait]), close: () => {} }, LineProtocol.render)
      fanout.add(other, collecting([]), LineProtocol.render)
      for (
        const event of [...entered(me, lobby), joined(other, lobby), spoke(other, lobby, "hi"), departed(other, lobby)]
      ) {
        fanout.deliver(event)
      }
      assert.deepStrictEqual(calls, [
        ["*** c2 joined #lobby\n", true],
        ["<c2> hi\n", false],
        ["*** c2 left #lobby (quit)\n", true]
      ])
    })

    it("renders a room event once per protocol, however many members see it", () => {
      let rendered = 0
      const counting: Render = {
        ...LineProtocol.render,
        roomEvent: (event: RoomEvent) => {
          rendered++
          return LineProtocol.render.roomEvent(event)
        }
      }
      const fanout = Fanout.make()
      const outs: Array<Array<Output>> = []
      for (let id = 1; id <= 10; id++) {
        const out: Array<Output> = []
        outs.push(out)
        // Odd clients speak the counting protocol, even ones the line protocol itself: two protocols.
        fanout.add(id, collecting(out), id % 2 === 1 ? counting : LineProtocol.render)
        fanout.deliver(joined(id, lobby))
      }
      rendered = 0
      fanout.deliver(spoke(1, lobby, "to all"))
      assert.strictEqual(rendered, 1)
      for (const out of outs.slice(1)) assert.strictEqual(out.at(-1), "<c1> to all\n")
    })

    it("forgets a removed client: it gets nothing more, and its rooms go on without it", () => {
      const out: Array<Output> = []
      const fanout = Fanout.make()
      fanout.add(me, collecting(out), LineProtocol.render)
      fanout.add(other, collecting([]), LineProtocol.render)
      for (const event of [...entered(me, lobby), joined(other, lobby)]) fanout.deliver(event)
      fanout.remove(me)
      fanout.deliver(spoke(other, lobby, "anyone?"))
      fanout.deliver(new Replied({ client: me, replies: [{ _tag: "Bye" }], close: undefined }))
      assert.deepStrictEqual(out, ["*** c2 joined #lobby\n"])
      assert.strictEqual(fanout.size(), 1)
      assert.isUndefined(fanout.find(me))
      assert.deepStrictEqual(Array.from(fanout.find(other)!.rooms), ["lobby"])
    })
  })
})
