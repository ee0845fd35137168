/**
 * A burst costs each member one write: `Fanout.deliverAll` renders a run of
 * one client's consecutive messages in one room once per protocol and writes
 * it to each member in one call, and delivers everything else event by event
 * (what each member sees is the same as with `deliver`, one by one).
 */
import { assert, describe, it } from "@effect/vitest"
import type { Nick, RoomName } from "../../src/domain/Domain.js"
import type { Event, Sink } from "../../src/domain/Event.js"
import { Acted, Joined, Said } from "../../src/domain/Event.js"
import * as Fanout from "../../src/hub/Fanout.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

const lobby = "lobby" as RoomName
const dev = "dev" as RoomName
const nick = (id: number) => `c${id}` as Nick

/** A sink that records each write as one entry: its text and how many lines it holds. */
const recording = () => {
  const writes: Array<{ readonly text: string; readonly count: number }> = []
  const sink: Sink = { write: (text, count) => void writes.push({ text, count }), close: () => {} }
  return { writes, sink }
}

const setUp = (...ids: Array<number>) => {
  const fanout = Fanout.make()
  const sinks = new Map(ids.map((id) => [id, recording()] as const))
  for (const [id, { sink }] of sinks) fanout.add(id, sink, LineProtocol.render)
  fanout.deliverAll(ids.map((id, i) => new Joined({ client: id, nick: nick(id), room: lobby, seq: i + 1 })))
  fanout.flush()
  for (const { writes } of sinks.values()) writes.length = 0
  return { fanout, sinks }
}

// Fanout delivers in the order it is given; the numbers are the backplane's business.
const seq = 0
const said = (client: number, text: string, room = lobby) => new Said({ client, nick: nick(client), room, seq, text })
const acted = (client: number, text: string) => new Acted({ client, nick: nick(client), room: lobby, seq, text })

describe("Fanout.deliverAll", () => {
  it("gives each member one write for a run of one client's messages and actions", () => {
    const { fanout, sinks } = setUp(1, 2, 3)
    fanout.deliverAll([said(1, "a"), acted(1, "waves"), said(1, "b")])
    for (const id of [2, 3]) {
      assert.deepStrictEqual(sinks.get(id)!.writes, [{ text: "<c1> a\n* c1 waves\n<c1> b\n", count: 3 }])
    }
    assert.deepStrictEqual(sinks.get(1)!.writes, [], "never one's own messages")
  })

  it("splits the run where another client speaks, keeping the order", () => {
    const { fanout, sinks } = setUp(1, 2, 3)
    fanout.deliverAll([said(1, "a"), said(1, "b"), said(2, "c"), said(1, "d")])
    assert.deepStrictEqual(sinks.get(3)!.writes.map((w) => w.text), ["<c1> a\n<c1> b\n", "<c2> c\n", "<c1> d\n"])
    assert.deepStrictEqual(sinks.get(1)!.writes.map((w) => w.text), ["<c2> c\n"])
    assert.deepStrictEqual(sinks.get(2)!.writes.map((w) => w.text), ["<c1> a\n<c1> b\n", "<c1> d\n"])
  })

  it("sees the same lines as delivering one by one, whatever the mix", () => {
    const events: Array<Event> = [
      said(1, "a"),
      said(1, "b"),
      said(1, "elsewhere", dev),
      acted(2, "x"),
      said(2, "y"),
      said(3, "z")
    ]
    const together = setUp(1, 2, 3)
    together.fanout.deliverAll(events)
    together.fanout.flush()
    const oneByOne = setUp(1, 2, 3)
    for (const event of events) oneByOne.fanout.deliver(event)
    for (const id of [1, 2, 3]) {
      const text = (s: ReturnType<typeof setUp>) => s.sinks.get(id)!.writes.map((w) => w.text).join("")
      assert.strictEqual(text(together), text(oneByOne))
    }
  })
})
