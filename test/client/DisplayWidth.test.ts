import { assert, describe, it } from "@effect/vitest"
import * as DisplayWidth from "../../src/client/DisplayWidth.js"

describe("DisplayWidth.displayWidth", () => {
  it("counts printable ASCII one column each", () => {
    assert.strictEqual(DisplayWidth.displayWidth(""), 0)
    assert.strictEqual(DisplayWidth.displayWidth("hello, world"), 12)
  })

  it("counts CJK and fullwidth characters two columns, halfwidth forms one", () => {
    assert.strictEqual(DisplayWidth.displayWidth("日本語"), 6)
    assert.strictEqual(DisplayWidth.displayWidth("한국어"), 6)
    assert.strictEqual(DisplayWidth.displayWidth("ＡＢ"), 4)
    assert.strictEqual(DisplayWidth.displayWidth("ｱｲ"), 2)
  })

  it("counts emoji two columns, flags and ZWJ sequences included", () => {
    assert.strictEqual(DisplayWidth.displayWidth("😀"), 2)
    assert.strictEqual(DisplayWidth.displayWidth("👍🏽"), 2)
    assert.strictEqual(DisplayWidth.displayWidth("👩‍💻"), 2)
    assert.strictEqual(DisplayWidth.displayWidth("🇫🇷"), 2)
    assert.strictEqual(DisplayWidth.displayWidth("a😀b"), 4)
  })

  it("counts a pictograph with text presentation one column, as terminals show it", () => {
    assert.strictEqual(DisplayWidth.displayWidth("❤"), 1)
    assert.strictEqual(DisplayWidth.displayWidth("☺"), 1)
  })

  it("counts combining marks, zero-width and control characters zero columns", () => {
    assert.strictEqual(DisplayWidth.displayWidth("e\u0301"), 1)
    assert.strictEqual(DisplayWidth.displayWidth("a\u0308\u0323"), 1)
    assert.strictEqual(DisplayWidth.displayWidth("a\u200bb"), 2)
    assert.strictEqual(DisplayWidth.displayWidth("\u0301"), 0)
    assert.strictEqual(DisplayWidth.displayWidth("\u0007"), 0)
  })
})

describe("DisplayWidth.graphemes", () => {
  it("splits text into what a reader sees as characters", () => {
    assert.deepStrictEqual(DisplayWidth.graphemes("ae\u0301👩‍💻🇫🇷日"), ["a", "e\u0301", "👩‍💻", "🇫🇷", "日"])
  })
})

describe("DisplayWidth boundaries", () => {
  const text = "ae\u0301😀b"
  // offsets: a=0, é=1..3, 😀=3..5, b=5..6

  it("steps back over a whole cluster", () => {
    assert.strictEqual(DisplayWidth.previousBoundary(text, 6), 5)
    assert.strictEqual(DisplayWidth.previousBoundary(text, 5), 3)
    assert.strictEqual(DisplayWidth.previousBoundary(text, 3), 1)
    assert.strictEqual(DisplayWidth.previousBoundary(text, 1), 0)
    assert.strictEqual(DisplayWidth.previousBoundary(text, 0), 0)
  })

  it("steps forward over a whole cluster", () => {
    assert.strictEqual(DisplayWidth.nextBoundary(text, 0), 1)
    assert.strictEqual(DisplayWidth.nextBoundary(text, 1), 3)
    assert.strictEqual(DisplayWidth.nextBoundary(text, 3), 5)
    assert.strictEqual(DisplayWidth.nextBoundary(text, 5), 6)
    assert.strictEqual(DisplayWidth.nextBoundary(text, 6), 6)
  })
})
