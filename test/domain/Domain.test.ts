/**
 * `clean`, applied to every line a client sends whatever its protocol: what
 * is left of a line once control characters and trailing white space are
 * gone. (Its properties for any text: `Domain.properties.test.ts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { clean } from "../../src/domain/Domain.js"
import { hasControl } from "../support/Protocol.js"

const codePoints = (from: number, to: number): Array<string> =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i))

describe("clean", () => {
  it("removes every C0 control character except TAB", () => {
    for (const c of codePoints(0x00, 0x1f)) {
      const expected = c === "\t" ? `a${c}b` : "ab"
      assert.strictEqual(clean(`a${c}b`), expected, `U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`)
    }
  })

  it("removes DEL and every C1 control character", () => {
    for (const c of codePoints(0x7f, 0x9f)) {
      assert.strictEqual(clean(`a${c}b`), "ab", `U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`)
    }
  })

  it("removes ESC, so terminal escape sequences lose their power", () => {
    assert.strictEqual(clean("\u001b[31mred\u001b[0m"), "[31mred[0m")
    assert.strictEqual(clean("\u009b31mred"), "31mred")
    assert.strictEqual(clean("bell\u0007 and nul\u0000"), "bell and nul")
  })

  it("keeps the characters just outside the control ranges", () => {
    assert.strictEqual(clean(" ~\u00a0\u00a1x"), " ~\u00a0\u00a1x")
  })

  it("trims trailing white space, Unicode white space included", () => {
    assert.strictEqual(clean("hello   "), "hello")
    assert.strictEqual(clean("hello\t \t"), "hello")
    assert.strictEqual(clean("hello\u00a0"), "hello")
    assert.strictEqual(clean("hello\u3000"), "hello")
    assert.strictEqual(clean("hello\u2003\u2009\u202f\u205f\u1680\u2028\u2029"), "hello")
    assert.strictEqual(clean("hello \u00a0\u3000\t "), "hello")
  })

  it("trims white space that control characters were hiding behind", () => {
    assert.strictEqual(clean("hello \u0001"), "hello")
    assert.strictEqual(clean("hello\r"), "hello")
    assert.strictEqual(clean("hello \u001b \u0085"), "hello")
  })

  it("keeps leading and inner white space", () => {
    assert.strictEqual(clean("  indented"), "  indented")
    assert.strictEqual(clean("\tTAB first"), "\tTAB first")
    assert.strictEqual(clean("\u3000full-width"), "\u3000full-width")
    assert.strictEqual(clean("a  \t b"), "a  \t b")
  })

  it("returns an empty string for a line of only white space and controls", () => {
    assert.strictEqual(clean(""), "")
    assert.strictEqual(clean("   "), "")
    assert.strictEqual(clean("\t\u0000\u001b\u00a0\u3000"), "")
  })

  it("keeps emoji, CJK and combining marks", () => {
    assert.strictEqual(clean("😀 👩‍👩‍👧 🇫🇷"), "😀 👩‍👩‍👧 🇫🇷")
    assert.strictEqual(clean("日本語 中文 한국어"), "日本語 中文 한국어")
    assert.strictEqual(clean("e\u0301 n\u0303"), "e\u0301 n\u0303")
    assert.strictEqual(clean("e\u0301"), "e\u0301")
  })

  it("keeps U+FEFF in the middle and at the end", () => {
    assert.strictEqual(clean("a\ufeffb"), "a\ufeffb")
    assert.strictEqual(clean("ab\ufeff"), "ab\ufeff")
    assert.strictEqual(clean("\ufeffab"), "\ufeffab")
  })

  it("keeps zero-width characters that are not white space", () => {
    assert.strictEqual(clean("a\u200b"), "a\u200b")
    assert.strictEqual(clean("a\u200d"), "a\u200d")
  })

  it("is idempotent on examples", () => {
    const samples = [
      "hello \u0001 \u00a0",
      "\u001b[2J\u001b[H clear",
      "x \u0085\u00a0",
      "  lead\ttab\t",
      "😀\u3000\u0000\u3000",
      "\ufeff\ufeff"
    ]
    for (const sample of samples) {
      const once = clean(sample)
      assert.strictEqual(clean(once), once, JSON.stringify(sample))
    }
  })

  it.prop(
    "is idempotent and leaves no control characters or trailing white space",
    [FastCheck.string({ unit: "binary", maxLength: 40 })],
    ([text]) => {
      const once = clean(text)
      assert.strictEqual(clean(once), once)
      assert.isFalse(hasControl(once))
      assert.isFalse(/\p{White_Space}$/u.test(once))
    },
    { fastCheck: { seed: 20240601, numRuns: 500 } }
  )

  it.prop(
    "changes nothing in text without controls and ending in a non-space",
    [FastCheck.string({ unit: "grapheme", maxLength: 20 }).map((s) => `${s}x`)],
    ([text]) => {
      if (!hasControl(text)) assert.strictEqual(clean(text), text)
    },
    { fastCheck: { seed: 20240601, numRuns: 500 } }
  )
})
