import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as DisplayWidth from "../../src/client/DisplayWidth.js"
import * as Screen from "../../src/client/Screen.js"
import * as StyledText from "../../src/client/StyledText.js"
import { VirtualTerminal } from "../support/VirtualTerminal.js"

const prompt = [StyledText.span("[alice #lobby] > ")] // 17 columns

describe("Screen.layout", () => {
  it("puts prompt and input on one row, the cursor after the input", () => {
    const frame = Screen.layout(prompt, "hello", 5, 80, false)
    assert.deepStrictEqual(frame, {
      rows: ["[alice #lobby] > hello"],
      widths: [22],
      columns: 80,
      cursorRow: 0,
      cursorColumn: 22
    })
  })

  it("puts the cursor before the character at its offset, counting wide characters as two columns", () => {
    const frame = Screen.layout(prompt, "日本😀x", "日本".length, 80, false)
    assert.strictEqual(frame.cursorColumn, 17 + 4)
    const after = Screen.layout(prompt, "日本😀x", "日本😀".length, 80, false)
    assert.strictEqual(after.cursorColumn, 17 + 6)
  })

  it("wraps a long input onto more rows, the cursor row and column counted from the prompt's row", () => {
    const input = "abcdefghijklmnopqrstuvwxyz"
    const frame = Screen.layout(prompt, input, 20, 20, false)
    assert.deepStrictEqual(frame.rows, ["[alice #lobby] > abc", "defghijklmnopqrstuvw", "xyz"])
    // offset 20 is "u": 3 characters on the first row, 17 on the second
    assert.strictEqual(frame.cursorRow, 1)
    assert.strictEqual(frame.cursorColumn, 17)
  })

  it("moves a wide character that does not fit to the next row rather than splitting it", () => {
    const frame = Screen.layout([StyledText.span("> ")], "abc日", 3, 5, false)
    assert.deepStrictEqual(frame.rows, ["> abc", "日"])
    assert.deepStrictEqual([frame.cursorRow, frame.cursorColumn], [1, 0])
  })

  it("adds an empty row for the cursor when the input ends exactly at the right edge", () => {
    const frame = Screen.layout([StyledText.span("> ")], "abc", 3, 5, false)
    assert.deepStrictEqual(frame.rows, ["> abc", ""])
    assert.deepStrictEqual([frame.cursorRow, frame.cursorColumn], [1, 0])
    const inside = Screen.layout([StyledText.span("> ")], "abc", 1, 5, false)
    assert.deepStrictEqual(inside.rows, ["> abc"])
    assert.deepStrictEqual([inside.cursorRow, inside.cursorColumn], [0, 3])
  })

  it("styles the prompt only in colour", () => {
    const styled = [StyledText.span("alice", [1, 32]), StyledText.span(" > ")]
    assert.deepStrictEqual(Screen.layout(styled, "hi", 2, 80, false).rows, ["alice > hi"])
    assert.deepStrictEqual(Screen.layout(styled, "hi", 2, 80, true).rows, ["\x1b[1;32malice\x1b[0m > hi"])
  })
})

describe("Screen.draw", () => {
  it("writes the lines above, then the prompt, then puts the cursor back in the input", () => {
    const before = Screen.layout(prompt, "hello wor", 9, 80, false)
    const after = Screen.layout(prompt, "hello wor", 5, 80, false)
    assert.strictEqual(
      Screen.draw(before, ["<bob> hi"], after),
      "\r\x1b[J<bob> hi\r\n[alice #lobby] > hello wor\r\x1b[22C"
    )
  })

  it("goes back up to the prompt's first row before erasing", () => {
    const tall = Screen.layout(prompt, "x".repeat(30), 5, 20, false)
    assert.strictEqual(tall.cursorRow, 1)
    const output = Screen.draw(tall, [], Screen.layout(prompt, "", 0, 20, false))
    assert.isTrue(output.startsWith("\r\x1b[1A\x1b[J"))
  })

  it("erases the prompt area on exit, leaving the cursor at its start", () => {
    const tall = Screen.layout(prompt, "x".repeat(30), 30, 20, false)
    assert.strictEqual(Screen.erase(tall), "\r\x1b[2A\x1b[J")
  })
})

describe("Screen.resized", () => {
  const frame = Screen.layout(prompt, "x".repeat(50), 50, 40, false)
  // rows of 40 and 27 columns: the cursor is at the end of the second

  it("changes nothing when the terminal gets wider or stays as wide", () => {
    assert.deepStrictEqual([frame.cursorRow, frame.cursorColumn], [1, 27])
    assert.strictEqual(Screen.resized(frame, 40), frame)
    assert.strictEqual(Screen.resized(frame, 100), frame)
  })

  it("counts the rows a narrower terminal breaks each row into, up to the cursor", () => {
    // at 20 columns the first row becomes 2, and the cursor at column 27 is on the second part of its row
    assert.strictEqual(Screen.resized(frame, 20).cursorRow, 3)
    assert.strictEqual(Screen.resized(frame, 30).cursorRow, 2)
  })

  it("changes nothing before the first draw", () => {
    assert.strictEqual(Screen.resized(Screen.blank, 10), Screen.blank)
  })
})

/** Drives a virtual terminal as the client does, and checks the screen after every draw. */
class Session {
  readonly terminal: VirtualTerminal
  frame = Screen.blank
  readonly expected: Array<string> = []

  constructor(readonly columns: number, rows: number) {
    this.terminal = new VirtualTerminal(columns, rows)
  }

  draw(above: ReadonlyArray<string>, input: string, cursor: number): void {
    const rows = above.flatMap((line) =>
      StyledText.wrap([StyledText.span(line)], this.columns, 6).map(StyledText.plain)
    )
    const frame = Screen.layout(prompt, input, cursor, this.columns, false)
    this.terminal.write(Screen.draw(this.frame, rows, frame))
    this.frame = frame
    this.expected.push(...rows)
    const shown = [...this.expected, ...frame.rows].map((row) => row.trimEnd())
    while (shown.length > 0 && shown.at(-1) === "") shown.pop()
    assert.deepStrictEqual(this.terminal.transcript, shown)
    const scrolled = this.terminal.scrollback.length
    assert.strictEqual(this.terminal.row + scrolled, this.expected.length + frame.cursorRow, "cursor row")
    assert.strictEqual(this.terminal.cursorColumn, frame.cursorColumn, "cursor column")
  }
}

describe("Screen on a terminal", () => {
  it("keeps a partly typed line intact below a line that arrives", () => {
    const session = new Session(40, 10)
    session.draw(["*** welcome to chat, you are alice in #lobby (2 here)"], "", 0)
    session.draw([], "hello wor", 9)
    session.draw(["<bob> knock knock"], "hello wor", 9)
    assert.deepStrictEqual(session.terminal.screen.slice(0, 4), [
      "*** welcome to chat, you are alice in",
      "      #lobby (2 here)",
      "<bob> knock knock",
      "[alice #lobby] > hello wor"
    ])
    assert.strictEqual(session.terminal.cursorColumn, 26)
  })

  it("redraws an input of several rows without leaving pieces of it behind", () => {
    const session = new Session(20, 8)
    const input = "the quick brown fox jumps over the lazy dog"
    session.draw([], input, 10)
    session.draw(["<bob> a long line that wraps onto the next rows"], input, 10)
    session.draw(["<bob> hi"], input.slice(0, 5), 5)
  })

  it("scrolls: the screen ends with the prompt, what scrolled off is in order", () => {
    const session = new Session(30, 5)
    for (let i = 0; i < 12; i++) session.draw([`<bob> line ${i}`], "typing 日本", 7)
    assert.deepStrictEqual(session.terminal.screen.at(-1), "[alice #lobby] > typing 日本")
    assert.strictEqual(session.terminal.scrollback[0], "<bob> line 0")
  })

  const text = FastCheck.array(
    FastCheck.constantFrom("a", "b", " ", "日", "😀", "e\u0301", "👩‍💻", "-"),
    { maxLength: 40 }
  ).map((parts) => parts.join(""))

  it("keeps the transcript and the cursor right, whatever arrives and whatever is typed", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.integer({ min: 8, max: 40 }),
        FastCheck.array(
          FastCheck.record({ above: FastCheck.array(text, { maxLength: 3 }), input: text, at: FastCheck.nat() }),
          { minLength: 1, maxLength: 8 }
        ),
        (columns, steps) => {
          const session = new Session(columns, 24)
          for (const { above, at, input } of steps) {
            const clusters = DisplayWidth.graphemes(input)
            const cursor = clusters.slice(0, at % (clusters.length + 1)).join("").length
            session.draw(above.map((line) => `<bob> ${line}`), input, cursor)
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
