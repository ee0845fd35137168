import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DisconnectReason } from "../../src/domain/Domain.js"
import * as Outbox from "../../src/server/Outbox.js"
import type { DirectWrite } from "../../src/socket/DirectWrite.js"

/** An outbox whose too-slow calls and writer starts are counted. */
const counted = (maxLines: number, direct?: DirectWrite) => {
  const calls = { tooSlow: 0, writerStarts: 0 }
  const outbox = Outbox.make({
    maxLines,
    onTooSlow: () => calls.tooSlow++,
    startWriter: () => calls.writerStarts++,
    direct
  })
  return { outbox, calls }
}

const batch = (text: string, lines: number, close?: DisconnectReason): Outbox.Step => ({
  _tag: "Batch",
  text,
  lines,
  close
})

/** A socket's direct write that records what it took and answers `next`. */
const fakeSocket = () => {
  const state = { taken: [] as Array<string>, next: "ok" as "ok" | "full" | "closed" }
  const direct: DirectWrite = {
    write: (text) => {
      if (state.next !== "closed") state.taken.push(text)
      return state.next
    },
    drained: Effect.void
  }
  return Object.assign(state, { direct })
}

describe("Outbox", () => {
  it("gives the writer everything gathered, in order, in one batch; then the writer stops", () => {
    const { calls, outbox } = counted(10)
    outbox.write("a\n", 1)
    outbox.write("b\nc\n", 2)
    assert.strictEqual(calls.writerStarts, 1)
    assert.deepStrictEqual(outbox.next(), batch("a\nb\nc\n", 3))
    assert.strictEqual(outbox.next(), undefined)
  })

  it("starts a writer only when none is running: an idle client holds none", () => {
    const { calls, outbox } = counted(10)
    outbox.write("a\n", 1)
    assert.deepStrictEqual(outbox.next(), batch("a\n", 1))
    outbox.write("b\n", 1)
    assert.strictEqual(calls.writerStarts, 1)
    assert.deepStrictEqual(outbox.next(), batch("b\n", 1))
    assert.strictEqual(outbox.next(), undefined)
    outbox.write("c\n", 1)
    assert.strictEqual(calls.writerStarts, 2)
  })

  it("past the bound: too slow, once, and nothing more is taken", () => {
    const { calls, outbox } = counted(3)
    outbox.write("1\n2\n", 2)
    outbox.write("3\n", 1)
    assert.strictEqual(calls.tooSlow, 0)
    outbox.write("4\n", 1)
    outbox.write("5\n", 1)
    outbox.close(DisconnectReason.Quit({ message: undefined }))
    assert.strictEqual(calls.tooSlow, 1)
    assert.deepStrictEqual(outbox.next(), batch("1\n2\n3\n", 3))
  })

  it("what one event brings to an empty outbox fits, however long; the bound applies to what follows", () => {
    const { calls, outbox } = counted(3)
    outbox.write("h1\nh2\nh3\nh4\nh5\n", 5)
    assert.strictEqual(calls.tooSlow, 0)
    outbox.write("next\n", 1)
    assert.strictEqual(calls.tooSlow, 1)
  })

  it("taken lines no longer count against the bound", () => {
    const { calls, outbox } = counted(3)
    outbox.write("1\n2\n3\n", 3)
    outbox.next()
    outbox.write("4\n5\n6\n", 3)
    assert.strictEqual(calls.tooSlow, 0)
  })

  it("a close comes after the text before it, and nothing after it is taken", () => {
    const { outbox } = counted(10)
    outbox.write("*** bye\n", 1)
    outbox.close(DisconnectReason.Quit({ message: undefined }))
    outbox.write("late\n", 1)
    assert.deepStrictEqual(outbox.next(), batch("*** bye\n", 1, DisconnectReason.Quit({ message: undefined })))
  })

  describe("with a direct write", () => {
    it("text goes straight to the socket, and no writer is started", () => {
      const socket = fakeSocket()
      const { calls, outbox } = counted(10, socket.direct)
      outbox.write("a\n", 1)
      outbox.write("b\n", 1)
      assert.deepStrictEqual(socket.taken, ["a\n", "b\n"])
      assert.strictEqual(calls.writerStarts, 0)
      outbox.close(DisconnectReason.Idle())
      assert.strictEqual(calls.writerStarts, 1)
      assert.deepStrictEqual(outbox.next(), batch("", 0, DisconnectReason.Idle()))
    })

    it("a full socket: the writer waits for it to drain, then takes what gathered, bounded", () => {
      const socket = fakeSocket()
      const { calls, outbox } = counted(2, socket.direct)
      socket.next = "full"
      outbox.write("a\n", 1)
      outbox.write("b\n", 1)
      outbox.write("c\n", 1)
      assert.deepStrictEqual(socket.taken, ["a\n"])
      assert.strictEqual(calls.writerStarts, 1)
      assert.strictEqual(calls.tooSlow, 0)
      outbox.write("d\n", 1)
      assert.strictEqual(calls.tooSlow, 1)
      assert.deepStrictEqual(outbox.next(), { _tag: "Drain" })
      assert.deepStrictEqual(outbox.next(), batch("b\nc\n", 2))
    })

    it("once the writer has caught up, text goes straight to the socket again", () => {
      const socket = fakeSocket()
      const { calls, outbox } = counted(10, socket.direct)
      socket.next = "full"
      outbox.write("a\n", 1)
      outbox.write("b\n", 1)
      socket.next = "ok"
      assert.deepStrictEqual(outbox.next(), { _tag: "Drain" })
      assert.deepStrictEqual(outbox.next(), batch("b\n", 1))
      assert.strictEqual(outbox.next(), undefined)
      outbox.write("c\n", 1)
      assert.deepStrictEqual(socket.taken, ["a\n", "c\n"])
      assert.strictEqual(calls.writerStarts, 1)
    })

    it("a closed socket: the text goes to the writer, whose own write then fails", () => {
      const socket = fakeSocket()
      const { calls, outbox } = counted(10, socket.direct)
      socket.next = "closed"
      outbox.write("lost\n", 1)
      assert.strictEqual(calls.writerStarts, 1)
      assert.deepStrictEqual(outbox.next(), batch("lost\n", 1))
    })
  })
})
