/**
 * One room as a pure value: its members, its numbering, and the history a
 * newcomer is shown.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, HashSet } from "effect"
import type { Nick } from "../../src/domain/Domain.js"
import { RoomName } from "../../src/domain/Domain.js"
import type { Spoken } from "../../src/domain/Event.js"
import { Acted, Said } from "../../src/domain/Event.js"
import * as Room from "../../src/hub/Room.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

const members = (room: Room.Room): Array<number> => Array.from(HashSet.values(room.members)).sort((a, b) => a - b)

/**
 * The event a history line stands for: `<a> 1` a message, `* a 2` an action,
 * numbered in the order given. History holds events; the tests read it back
 * as the lines a newcomer to the room would see.
 */
const eventOf = (line: string, seq: number): Spoken => {
  const said = /^<([^>]+)> (.*)\n$/.exec(line)
  if (said !== null) return new Said({ client: 1, nick: said[1] as Nick, room: RoomName("r"), seq, text: said[2]! })
  const acted = /^\* (\S+) (.*)\n$/.exec(line)
  if (acted !== null) return new Acted({ client: 1, nick: acted[1] as Nick, room: RoomName("r"), seq, text: acted[2]! })
  throw new Error(`not a history line: ${JSON.stringify(line)}`)
}

/** Records each line's event into `room`, in order. */
const recordAll = (room: Room.Room, lines: ReadonlyArray<string>, limit: number): Room.Room =>
  lines.reduce((current, line, i) => Room.record(current, eventOf(line, i + 1), limit), room)

/** The room's last `limit` events, as the line protocol shows them to a newcomer. */
const recent = (room: Room.Room, limit: number): Array<string> => Room.recent(room, limit).map(LineProtocol.roomEvent)

describe("Room", () => {
  it("starts empty, keeping its name in the case it was given", () => {
    const room = Room.make(RoomName("DevOps"))
    assert.strictEqual(room.name, "DevOps")
    assert.strictEqual(Room.size(room), 0)
    assert.isTrue(Room.isEmpty(room))
    assert.deepStrictEqual(recent(room, 50), [])
  })

  it("adds and removes members, counting each once", () => {
    const room = Room.add(Room.add(Room.add(Room.make(RoomName("dev")), 1), 2), 1)
    assert.deepStrictEqual(members(room), [1, 2])
    assert.strictEqual(Room.size(room), 2)
    assert.isFalse(Room.isEmpty(room))
    const one = Room.remove(room, 1)
    assert.deepStrictEqual(members(one), [2])
    assert.strictEqual(Room.size(Room.remove(one, 1)), 1)
    assert.isTrue(Room.isEmpty(Room.remove(one, 2)))
  })

  it("does not change the value it was given", () => {
    const room = Room.make(RoomName("dev"))
    const added = Room.add(room, 7)
    const recorded = Room.record(added, eventOf("<a> x\n", 1), 5)
    assert.strictEqual(Room.size(room), 0)
    assert.deepStrictEqual(recent(added, 5), [])
    assert.deepStrictEqual(recent(recorded, 5), ["<a> x\n"])
    assert.deepStrictEqual(members(recorded), [7])
  })

  it("numbers its events from 1, one after the other", () => {
    const room = Room.make(RoomName("dev"))
    assert.strictEqual(room.seq, 0)
    assert.strictEqual(Room.next(room).seq, 1)
    assert.strictEqual(Room.next(Room.next(room)).seq, 2)
    assert.strictEqual(room.seq, 0)
  })

  describe("history", () => {
    const lines = ["<a> 1\n", "* a 2\n", "<b> 3\n", "<a> 4\n", "* b 5\n"]

    it("keeps every line, oldest first, while under the limit", () => {
      assert.deepStrictEqual(recent(recordAll(Room.make(RoomName("r")), lines, 50), 50), lines)
    })

    it("keeps exactly the limit when full", () => {
      assert.deepStrictEqual(recent(recordAll(Room.make(RoomName("r")), lines, 5), 5), lines)
    })

    it("keeps the last H lines in their order", () => {
      assert.deepStrictEqual(recent(recordAll(Room.make(RoomName("r")), lines, 3), 3), [
        "<b> 3\n",
        "<a> 4\n",
        "* b 5\n"
      ])
    })

    it("keeps one line with H = 1", () => {
      assert.deepStrictEqual(recent(recordAll(Room.make(RoomName("r")), lines, 1), 1), ["* b 5\n"])
    })

    it("keeps none with H = 0", () => {
      assert.deepStrictEqual(recent(recordAll(Room.make(RoomName("r")), lines, 0), 0), [])
    })

    it("stays at H over many lines", () => {
      const many = Array.from({ length: 200 }, (_, i) => `<a> ${i}\n`)
      const room = recordAll(Room.make(RoomName("r")), many, 50)
      assert.deepStrictEqual(recent(room, 50), many.slice(150))
      // What it holds beyond the limit is bounded too.
      assert.isAtMost(Chunk.size(room.history), 100)
    })
  })
})
