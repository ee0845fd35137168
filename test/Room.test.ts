import { assert, describe, it } from "@effect/vitest"
import { HashSet } from "effect"
import { RoomName } from "../src/Domain.js"
import * as Room from "../src/Room.js"

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
    assert.deepStrictEqual(room.history, [])
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
    assert.deepStrictEqual(added.history, [])
    assert.deepStrictEqual(recorded.history, ["<a> x\n"])
    assert.deepStrictEqual(members(recorded), [7])
  })

  describe("history", () => {
    const lines = ["<a> 1\n", "* a 2\n", "<b> 3\n", "<a> 4\n", "* b 5\n"]

    it("keeps every line, oldest first, while under the limit", () => {
      assert.deepStrictEqual(recordAll(Room.make(RoomName("r")), lines, 50).history, lines)
    })

    it("keeps exactly the limit when full", () => {
      assert.deepStrictEqual(recordAll(Room.make(RoomName("r")), lines, 5).history, lines)
    })

    it("keeps the last H lines in their order", () => {
      assert.deepStrictEqual(recordAll(Room.make(RoomName("r")), lines, 3).history, ["<b> 3\n", "<a> 4\n", "* b 5\n"])
    })

    it("keeps one line with H = 1", () => {
      assert.deepStrictEqual(recordAll(Room.make(RoomName("r")), lines, 1).history, ["* b 5\n"])
    })

    it("keeps none with H = 0", () => {
      assert.deepStrictEqual(recordAll(Room.make(RoomName("r")), lines, 0).history, [])
    })

    it("stays at H over many lines", () => {
      const many = Array.from({ length: 200 }, (_, i) => `<a> ${i}\n`)
      const room = recordAll(Room.make(RoomName("r")), many, 50)
      assert.strictEqual(room.history.length, 50)
      assert.deepStrictEqual(room.history, many.slice(150))
    })
  })
})
