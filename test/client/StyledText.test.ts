import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as DisplayWidth from "../../src/client/DisplayWidth.js"
import * as StyledText from "../../src/client/StyledText.js"

const { span } = StyledText

const rows = (text: string, columns: number, indent = 0): Array<string> =>
  StyledText.wrap([span(text)], columns, indent).map(StyledText.plain)

describe("StyledText.render", () => {
  it("writes bare text without colour", () => {
    assert.strictEqual(StyledText.render([span("<"), span("bob", [32]), span("> hi")], false), "<bob> hi")
  })

  it("wraps each styled span in its SGR sequence and a reset, leaving unstyled spans bare", () => {
    assert.strictEqual(
      StyledText.render([span("<"), span("bob", [1, 32]), span("> hi")], true),
      "<\x1b[1;32mbob\x1b[0m> hi"
    )
  })
})

describe("StyledText.wrap", () => {
  it("leaves a line that fits as it is", () => {
    assert.deepStrictEqual(rows("<bob> hello", 20), ["<bob> hello"])
    assert.deepStrictEqual(rows("exactly ten", 11), ["exactly ten"])
  })

  it("breaks between words and indents the rows after the first", () => {
    assert.deepStrictEqual(rows("<bob> the quick brown fox jumps", 16, 6), [
      "<bob> the quick",
      "      brown fox",
      "      jumps"
    ])
  })

  it("breaks inside a word only when the word alone is wider than a row", () => {
    assert.deepStrictEqual(rows("<bob> abcdefghijklmnopqrstuvwxyz", 12, 6), [
      "<bob> abcdef",
      "      ghijkl",
      "      mnopqr",
      "      stuvwx",
      "      yz"
    ])
  })

  it("drops an indent that would take more than half a row", () => {
    assert.deepStrictEqual(rows("<somebody> one two three", 12, 11), ["<somebody>", "one two", "three"])
  })

  it("never splits a wide character or a cluster", () => {
    assert.deepStrictEqual(rows("日本語のテキスト", 5), ["日本", "語の", "テキ", "スト"])
    assert.deepStrictEqual(rows("e\u0301e\u0301e\u0301", 2), ["e\u0301e\u0301", "e\u0301"])
  })

  it("keeps the styles of the spans it breaks", () => {
    const wrapped = StyledText.wrap([span("<"), span("bob", [32]), span("> one two", [1])], 10, 0)
    assert.deepStrictEqual(wrapped, [
      [span("<"), span("bob", [32]), span("> one", [1])],
      [span("two", [1])]
    ])
  })

  const word = FastCheck.array(FastCheck.constantFrom("a", "b", "日", "😀", "e\u0301", "-"), {
    minLength: 1,
    maxLength: 12
  })
    .map((parts) => parts.join(""))
  const line = FastCheck.array(word, { maxLength: 15 }).map((words) => words.join(" "))

  it("gives rows no wider than the terminal, and loses no character", () => {
    FastCheck.assert(
      FastCheck.property(
        line,
        FastCheck.integer({ min: 2, max: 30 }),
        FastCheck.nat({ max: 10 }),
        (text, columns, indent) => {
          const wrapped = StyledText.wrap([span(text)], columns, indent)
          for (const row of wrapped) assert.isAtMost(StyledText.width(row), columns, JSON.stringify(row))
          const kept = wrapped.map(StyledText.plain).join(" ").split(" ").filter((w) => w !== "").join("")
          assert.strictEqual(kept, text.split(" ").join(""))
          assert.isTrue(wrapped.every((row) => DisplayWidth.graphemes(StyledText.plain(row)).length > 0 || text === ""))
        }
      )
    )
  })
})
