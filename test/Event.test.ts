import { assert, describe, it } from "@effect/vitest"
import type { NameKey } from "../src/domain/Domain.js"
import { DisconnectReason } from "../src/domain/Domain.js"
import type { Event, Output, View } from "../src/domain/Event.js"
import * as EventView from "../src/domain/Event.js"

const lobby = "lobby" as NameKey
const dev = "dev" as NameKey

const me = 1
const other = 2
const third = 3

/** Folds the events for one client from its initial view; returns its outputs and final view. */
const fold = (self: number, events: ReadonlyArray<Event>, from?: View): { out: Array<Output>; view: View } => {
  const out: Array<Output> = []
  let view = from ?? EventView.initialView(self)
  for (const event of events) view = EventView.see(view, event, out)
  return { out, view }
}

const entered = (client: number, room: NameKey, welcome: ReadonlyArray<string> = []): Event => ({
  _tag: "Entered",
  client,
  room,
  notice: `*** c${client} joined #${room}\n`,
  welcome
})

const departed = (client: number, room: NameKey, why = "quit"): Event => ({
  _tag: "Departed",
  client,
  room,
  notice: `*** c${client} left #${room} (${why})\n`
})

const spoke = (client: number, room: NameKey, text: string): Event => ({
  _tag: "Spoke",
  client,
  room,
  line: `<c${client}> ${text}\n`,
  count: 1
})

describe("Event.see", () => {
  it("starts with no room", () => {
    assert.deepStrictEqual(EventView.initialView(me), { self: me, room: undefined })
  })

  it("shows nothing of a room before the client's own Entered", () => {
    const { out, view } = fold(me, [entered(other, lobby), spoke(other, lobby, "early"), departed(third, lobby)])
    assert.deepStrictEqual(out, [])
    assert.strictEqual(view.room, undefined)
  })

  it("shows the welcome on the client's own Entered, and the room from then on", () => {
    const { out, view } = fold(me, [
      spoke(other, lobby, "before"),
      entered(me, lobby, ["*** welcome\n", "<c2> history\n"]),
      spoke(other, lobby, "after"),
      entered(third, lobby),
      departed(other, lobby, "idle")
    ])
    assert.deepStrictEqual(out, [
      "*** welcome\n",
      "<c2> history\n",
      "<c2> after\n",
      "*** c3 joined #lobby\n",
      "*** c2 left #lobby (idle)\n"
    ])
    assert.deepStrictEqual(view, { self: me, room: lobby })
  })

  it("does not show the client's own Spoke", () => {
    const { out } = fold(me, [entered(me, lobby), spoke(me, lobby, "mine"), spoke(other, lobby, "theirs")])
    assert.deepStrictEqual(out, ["<c2> theirs\n"])
  })

  it("does not show another room's events", () => {
    const { out } = fold(me, [
      entered(me, lobby),
      entered(other, dev),
      spoke(other, dev, "in dev"),
      departed(other, dev),
      { _tag: "Renamed", client: third, room: dev, notice: "*** c3 is now x\n", reply: "*** you are now x\n" }
    ])
    assert.deepStrictEqual(out, [])
  })

  it("switches room exactly at the client's own Entered after a join", () => {
    const { out, view } = fold(me, [
      entered(me, lobby),
      spoke(other, dev, "dev before"),
      spoke(third, lobby, "lobby before"),
      departed(me, lobby, "joined #dev"),
      entered(me, dev, ["*** joined #dev (2 here: c1, c2)\n", "<c2> dev before\n"]),
      spoke(other, dev, "dev after"),
      spoke(third, lobby, "lobby after"),
      entered(third, dev)
    ])
    assert.deepStrictEqual(out, [
      "<c3> lobby before\n",
      "*** joined #dev (2 here: c1, c2)\n",
      "<c2> dev before\n",
      "<c2> dev after\n",
      "*** c3 joined #dev\n"
    ])
    assert.strictEqual(view.room, dev)
  })

  it("shows others' join and leave notices in the room, not one's own", () => {
    const { out } = fold(me, [entered(me, lobby), departed(me, lobby, "joined #dev")])
    assert.deepStrictEqual(out, [])
  })

  it("shows a rename as the reply to the renamer and the notice to the room", () => {
    const renamed: Event = {
      _tag: "Renamed",
      client: other,
      room: lobby,
      notice: "*** c2 is now bob\n",
      reply: "*** you are now bob\n"
    }
    assert.deepStrictEqual(fold(me, [entered(me, lobby), renamed]).out, ["*** c2 is now bob\n"])
    assert.deepStrictEqual(fold(other, [entered(other, lobby), renamed]).out, ["*** you are now bob\n"])
    assert.deepStrictEqual(fold(third, [entered(third, dev), renamed]).out, [])
  })

  describe("Whispered", () => {
    const whisper = (from: number, to: number): Event => ({
      _tag: "Whispered",
      from,
      to,
      received: `[pm] <c${from}> psst\n`,
      sent: `[pm -> c${to}] psst\n`
    })

    it("shows the receiver its line and the sender its copy, whatever their rooms", () => {
      assert.deepStrictEqual(fold(me, [entered(me, lobby), whisper(other, me)]).out, ["[pm] <c2> psst\n"])
      assert.deepStrictEqual(fold(other, [entered(other, dev), whisper(other, me)]).out, ["[pm -> c1] psst\n"])
      assert.deepStrictEqual(fold(third, [entered(third, lobby), whisper(other, me)]).out, [])
    })

    it("to oneself yields both lines, received first", () => {
      assert.deepStrictEqual(fold(me, [entered(me, lobby), whisper(me, me)]).out, [
        "[pm] <c1> psst\n",
        "[pm -> c1] psst\n"
      ])
    })
  })

  describe("Replied", () => {
    it("shows its lines to its client only", () => {
      const replied: Event = { _tag: "Replied", client: me, text: "! a\n! b\n", count: 2, close: undefined }
      assert.deepStrictEqual(fold(me, [entered(me, lobby), replied]).out, ["! a\n", "! b\n"])
      assert.deepStrictEqual(fold(other, [entered(other, lobby), replied]).out, [])
    })

    it("with close appends a Close after its lines", () => {
      const reason = DisconnectReason.Quit({ message: "gone fishing" })
      const replied: Event = { _tag: "Replied", client: me, text: "*** bye\n", count: 1, close: reason }
      const { out } = fold(me, [entered(me, lobby), replied])
      assert.deepStrictEqual(out, ["*** bye\n", { _tag: "Close", reason }])
      assert.isFalse(EventView.isClose(out[0]))
      assert.isTrue(EventView.isClose(out[1]))
    })

    it("reaches a client that has not entered a room yet", () => {
      const replied: Event = {
        _tag: "Replied",
        client: me,
        text: "*** server shutting down\n",
        count: 1,
        close: DisconnectReason.ShuttingDown()
      }
      assert.deepStrictEqual(fold(me, [replied]).out, [
        "*** server shutting down\n",
        { _tag: "Close", reason: DisconnectReason.ShuttingDown() }
      ])
    })
  })

  it("ShuttingDown reaches everyone, with a Close", () => {
    const shutdown: Event = {
      _tag: "ShuttingDown",
      notice: "*** server shutting down\n",
      reason: DisconnectReason.ShuttingDown()
    }
    const close: EventView.Close = { _tag: "Close", reason: DisconnectReason.ShuttingDown() }
    assert.deepStrictEqual(fold(me, [entered(me, lobby), shutdown]).out, ["*** server shutting down\n", close])
    assert.deepStrictEqual(fold(other, [entered(other, dev), shutdown]).out, ["*** server shutting down\n", close])
  })

  it("appends to the caller's buffer without clearing it", () => {
    const out: Array<Output> = ["earlier\n"]
    const view = EventView.see(EventView.initialView(me), entered(me, lobby, ["*** hi\n"]), out)
    EventView.see(view, spoke(other, lobby, "x"), out)
    assert.deepStrictEqual(out, ["earlier\n", "*** hi\n", "<c2> x\n"])
  })
})
