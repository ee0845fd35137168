/**
 * Properties of the line codec, for any input a client can send: how the
 * bytes are cut into reads never changes the lines, a partial line never
 * holds more than the limit, and every line of at most the limit arrives as
 * the text that was sent.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Frame from "../../src/protocol/Frame.js"

const encoder = new TextEncoder()

/** Frames as plain strings, so a failing run shows exact texts. */
const show = (frames: ReadonlyArray<Frame.Frame>): Array<string> =>
  frames.map((frame) => frame._tag === "Line" ? `Line:${JSON.stringify(frame.text)}` : "TooLong")

/** `input` cut at `cuts` (sorted, deduplicated here), as the reads a socket could deliver. */
const chunksOf = (input: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [0, ...new Set(cuts.map((cut) => Math.min(cut, input.length)))].sort((a, b) => a - b)
  points.push(input.length)
  const chunks: Array<Uint8Array> = []
  for (let i = 0; i + 1 < points.length; i++) chunks.push(input.subarray(points[i], points[i + 1]))
  return chunks
}

/** Feeds `chunks` to a fresh decoder; also returns the most it ever held for a partial line. */
const decode = (maxBytes: number, chunks: ReadonlyArray<Uint8Array>) => {
  const decoder = Frame.decoder(maxBytes)
  const frames: Array<Frame.Frame> = []
  let mostHeld = 0
  for (const chunk of chunks) {
    frames.push(...decoder.push(chunk))
    mostHeld = Math.max(mostHeld, decoder.pendingBytes())
  }
  return { frames: show(frames), mostHeld }
}

/** Any bytes at all, or bytes where `\r`, `\n` and multi-byte UTF-8 (valid or broken) are frequent. */
const anyBytes = FastCheck.oneof(
  FastCheck.uint8Array({ maxLength: 400 }),
  FastCheck.array(
    FastCheck.constantFrom(
      [0x61],
      [0x20],
      [0x0a],
      [0x0d],
      [0x0d, 0x0a],
      [0x00],
      [0x1b],
      [0xff],
      [0xc3],
      [0xc3, 0xa9],
      [0xe4, 0xbd, 0xa0],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xf0, 0x9f]
    ),
    { maxLength: 200 }
  ).map((pieces) => Uint8Array.from(pieces.flat()))
)

/** An input and where to cut it into reads (up to one cut per byte). */
const cutInput = anyBytes.chain((input) =>
  FastCheck.record({
    input: FastCheck.constant(input),
    cuts: FastCheck.array(FastCheck.nat(input.length), { maxLength: Math.min(input.length, 64) })
  })
)

const maxBytesArb = FastCheck.oneof(FastCheck.integer({ min: 1, max: 40 }), FastCheck.constant(4096))

describe("Frame.decoder, for any input", () => {
  it.prop(
    "frames any bytes cut into any reads exactly as it frames them whole",
    [cutInput, maxBytesArb],
    ([{ cuts, input }, maxBytes]) => {
      const whole = decode(maxBytes, [input])
      const cut = decode(maxBytes, chunksOf(input, cuts))
      assert.deepStrictEqual(cut.frames, whole.frames)
    }
  )

  it.prop(
    "gives the same frames one byte at a time",
    [anyBytes, maxBytesArb],
    ([input, maxBytes]) => {
      const bytes = Array.from(input, (byte) => Uint8Array.of(byte))
      assert.deepStrictEqual(decode(maxBytes, bytes).frames, decode(maxBytes, [input]).frames)
    }
  )

  it.prop(
    "never holds more than the limit for a partial line, whatever the reads",
    [cutInput, maxBytesArb],
    ([{ cuts, input }, maxBytes]) => {
      assert.isAtMost(decode(maxBytes, chunksOf(input, cuts)).mostHeld, maxBytes)
    }
  )

  it.prop(
    "holds at most the limit of an endless line, and says TooLong once, as soon as it passes the limit",
    [
      FastCheck.integer({ min: 1, max: 64 }),
      FastCheck.array(FastCheck.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 40 })
    ],
    ([maxBytes, sizes]) => {
      const decoder = Frame.decoder(maxBytes)
      let sent = 0
      let tooLong = 0
      for (const size of sizes) {
        const frames = decoder.push(new Uint8Array(size).fill(0x78))
        sent += size
        tooLong += frames.filter((frame) => frame._tag === "TooLong").length
        assert.strictEqual(frames.filter((frame) => frame._tag === "Line").length, 0)
        assert.isAtMost(decoder.pendingBytes(), maxBytes)
        assert.strictEqual(tooLong, sent > maxBytes ? 1 : 0, `after ${sent} bytes`)
      }
    }
  )

  /** Lines of any text (emoji, CJK, combining marks, controls) without `\n` or a final `\r`. */
  const lineText = FastCheck.oneof(
    FastCheck.string({ unit: "grapheme", maxLength: 30 }),
    FastCheck.string({ unit: "binary", maxLength: 30 }),
    FastCheck.string({
      unit: FastCheck.constantFrom("a", "é", "😀", "日", "\r", "\t", "\u0000", "\u001b"),
      maxLength: 60
    })
  ).map((text) => text.replace(/\n/g, "").replace(/\r+$/, ""))

  it.prop(
    "delivers each line of at most the limit as the text sent, and one TooLong for each longer one",
    [
      FastCheck.array(FastCheck.tuple(lineText, FastCheck.constantFrom("\n", "\r\n")), { maxLength: 20 }),
      FastCheck.integer({ min: 1, max: 80 }),
      FastCheck.array(FastCheck.nat(4000), { maxLength: 30 })
    ],
    ([lines, maxBytes, cuts]) => {
      const input = encoder.encode(lines.map(([text, end]) => text + end).join(""))
      const expected = lines.map(([text]) =>
        encoder.encode(text).length <= maxBytes ? `Line:${JSON.stringify(text)}` : "TooLong"
      )
      const { frames, mostHeld } = decode(maxBytes, chunksOf(input, cuts))
      assert.deepStrictEqual(frames, expected)
      assert.isAtMost(mostHeld, maxBytes)
    }
  )
})
