import { assert, describe, it } from "@effect/vitest"
import { Chunk, HashSet } from "effect"
import { RoomName } from "../src/domain/Domain.js"
import * as Room from "../src/hub/Room.js"

const members = (room: Room.Room): Array<number> => Array.from(HashSet.values(room.members)).sort((a, b) => a - b)

/** Records each line into `room`, in order. */
const recordAll = (room: Room.Room, lines: ReadonlyArray<string>, limit: number): Room.Room =>
  lines.reduce((current, line) => Room.record(current, line, limit), room)

describe("Room", () => {
  it("starts empty, keeping its name in the case it was given", () => {
    const room = Room.make(RoomName("DevOps"))
    assert.strictEqual(room.name, "DevOps")
    assert.strictEqual(Room.size(room), 0)
    assert.isTrue(Room.isEmpty(room))
    assert.deepStrictEqual(Room.recent(room, 50), [])
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
    const recorded = Room.record(added, "<a> x\n", 5)
    assert.strictEqual(Room.size(room), 0)
    assert.deepStrictEqual(Room.recent(added, 5), [])
    assert.deepStrictEqual(Room.recent(recorded, 5), ["<a> x\n"])
    assert.deepStrictEqual(members(recorded), [7])
  })

  describe("history", () => {
    const lines = ["<a> 1\n", "* a 2\n", "<b> 3\n", "<a> 4\n", "* b 5\n"]

    it("keeps every line, oldest first, while under the limit", () => {
      assert.deepStrictEqual(Room.recent(recordAll(Room.make(RoomName("r")), lines, 50), 50), lines)
    })

    it("keeps exactly the limit when full", () => {
      assert.deepStrictEqual(Room.recent(recordAll(Room.make(RoomName("r")), lines, 5), 5), lines)
    })

    it("keeps the last H lines in their order", () => {
      assert.deepStrictEqual(Room.recent(recordAll(Room.make(RoomName("r")), lines, 3), 3), [
        "<b> 3\n",
        "<a> 4\n",
        "* b 5\n"
      ])
    })

    it("keeps one line with H = 1", () => {
      assert.deepStrictEqual(Room.recent(recordAll(Room.make(RoomName("r")), lines, 1), 1), ["* b 5\n"])
    })

    it("keeps none with H = 0", () => {
      assert.deepStrictEqual(Room.recent(recordAll(Room.make(RoomName("r")), lines, 0), 0), [])
    })

    it("stays at H over many lines", () => {
      const many = Array.from({ length: 200 }, (_, i) => `<a> ${i}\n`)
      const room = recordAll(Room.make(RoomName("r")), many, 50)
      assert.deepStrictEqual(Room.recent(room, 50), many.slice(150))
      // What it holds beyond the limit is bounded too.
      assert.isAtMost(Chunk.size(room.history), 100)
    })
  })
})
