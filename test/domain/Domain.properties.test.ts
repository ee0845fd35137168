/**
 * Properties of `clean`, the one guard between what a user types and
 * other people's terminals: the result never holds a control character,
 * keeps every other character (emoji, CJK, combining marks) in order, loses
 * only trailing white space, and cleaning twice changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { clean } from "../../src/domain/Domain.js"
import { isControl, whiteSpace } from "../support/Protocol.js"

const codePoints = (text: string): Array<number> => Array.from(text, (c) => c.codePointAt(0)!)

/** The text without its control characters, by code point. */
const withoutControls = (text: string): string => Array.from(text).filter((c) => !isControl(c.codePointAt(0)!)).join("")

const controls = [
  ...Array.from({ length: 0x20 }, (_, i) => i).filter((i) => i !== 0x09),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)
].map((codePoint) => String.fromCodePoint(codePoint))

const spaces = Array.from(whiteSpace, (codePoint) => String.fromCodePoint(codePoint))

/** Text a person could type, and what an attacker would: emoji, CJK, combining marks, escapes, white space. */
const hostileText = FastCheck.array(
  FastCheck.oneof(
    { weight: 4, arbitrary: FastCheck.string({ unit: "grapheme", maxLength: 8 }) },
    {
      weight: 2,
      arbitrary: FastCheck.constantFrom(
        "e\u0301",
        "\u0915\u094d\u0937",
        "👩‍👩‍👧",
        "🇫🇷",
        "日本語",
        "한국어",
        "\ufeff",
        "\u200b",
        "\u202e",
        "\u001b[2J",
        "\u001b]0;title\u0007",
        "\u009b31m"
      )
    },
    { weight: 2, arbitrary: FastCheck.constantFrom(...controls) },
    { weight: 2, arbitrary: FastCheck.constantFrom(...spaces) },
    { weight: 1, arbitrary: FastCheck.string({ unit: "binary", maxLength: 8 }) }
  ),
  { maxLength: 20 }
).map((pieces) => pieces.join(""))

describe("clean, for any text", () => {
  it.prop(
    "never leaves a control character",
    [hostileText],
    ([text]) => {
      const out = clean(text)
      assert.deepStrictEqual(codePoints(out).filter(isControl), [], JSON.stringify(text))
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it.prop(
    "keeps every other character, in order, losing only trailing white space",
    [hostileText],
    ([text]) => {
      const out = clean(text)
      const kept = withoutControls(text)
      assert.isTrue(kept.startsWith(out), `${JSON.stringify(out)} is not a prefix of ${JSON.stringify(kept)}`)
      const trimmed = codePoints(kept.slice(out.length))
      assert.isTrue(
        trimmed.every((c) => whiteSpace.has(c)),
        `trimmed more than white space: ${JSON.stringify(trimmed)}`
      )
      const last = codePoints(out).at(-1)
      assert.isFalse(last !== undefined && whiteSpace.has(last), "ends in white space")
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it.prop(
    "keeps text that ends in a visible character exactly, once its controls are gone",
    [
      FastCheck.tuple(
        FastCheck.array(
          FastCheck.tuple(
            FastCheck.string({ unit: "grapheme", maxLength: 6 }),
            FastCheck.constantFrom("", ...controls)
          ),
          { maxLength: 12 }
        ),
        FastCheck.constantFrom("x", "😀", "日", "e\u0301", "👩‍👩‍👧")
      )
    ],
    ([[pieces, last]]) => {
      const text = pieces.map(([visible, control]) => visible + control).join("") + last
      const typed = pieces.map(([visible]) => visible).join("") + last
      assert.strictEqual(clean(text), withoutControls(typed))
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop(
    "changes nothing when applied twice",
    [hostileText],
    ([text]) => {
      const once = clean(text)
      assert.strictEqual(clean(once), once)
    },
    { fastCheck: { numRuns: 2000 } }
  )
})
