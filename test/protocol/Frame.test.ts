import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Frame from "../../src/protocol/Frame.js"

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)
const concatBytes = (...parts: Array<Uint8Array | ArrayLike<number>>): Uint8Array => {
  const arrays = parts.map((part) => Uint8Array.from(part))
  const out = new Uint8Array(arrays.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of arrays) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const line = (text: string): Frame.Frame => Frame.Frame.Line({ text })
const tooLong: Frame.Frame = Frame.Frame.TooLong()

/** A plain picture of frames, so assertions compare exact texts and kinds. */
const show = (frames: ReadonlyArray<Frame.Frame>): Array<string> =>
  frames.map((frame) => frame._tag === "Line" ? `Line:${JSON.stringify(frame.text)}` : "TooLong")

/** Feeds the chunks to a fresh decoder and returns every frame, in order. */
const decode = (maxBytes: number, chunks: ReadonlyArray<Uint8Array>): Array<Frame.Frame> => {
  const decoder = Frame.decoder(maxBytes)
  const out: Array<Frame.Frame> = []
  for (const chunk of chunks) out.push(...decoder.push(chunk))
  return out
}

const input = bytes("héllo 😀\r\nsecond line\n\r\nlone\rcr\n\n日本語 ok\r\n\r\r\nend\r")

const expected: Array<string> = [
  "héllo 😀",
  "second line",
  "",
  "lone\rcr",
  "",
  "日本語 ok",
  "\r"
]

describe("Frame.decoder", () => {
  describe("splitting", () => {
    it("decodes a whole input into its lines, without the unterminated tail", () => {
      assert.deepStrictEqual(show(decode(4096, [input])), show(expected.map(line)))
    })

    it("gives the same frames when the input is split in two at every byte position", () => {
      const whole = show(decode(4096, [input]))
      for (let at = 0; at <= input.length; at++) {
        const frames = decode(4096, [input.subarray(0, at), input.subarray(at)])
        assert.deepStrictEqual(show(frames), whole, `split at byte ${at}`)
      }
    })

    it("gives the same frames when the input arrives one byte at a time", () => {
      const chunks = Array.from(input, (byte) => Uint8Array.of(byte))
      assert.deepStrictEqual(show(decode(4096, chunks)), show(expected.map(line)))
    })

    it("gives the same frames for every split into three chunks", () => {
      const small = bytes("a😀\r\r\n\rb\r\n")
      const whole = show(decode(4096, [small]))
      assert.deepStrictEqual(whole, show([line("a😀\r"), line("\rb")]))
      for (let i = 0; i <= small.length; i++) {
        for (let j = i; j <= small.length; j++) {
          const frames = decode(4096, [small.subarray(0, i), small.subarray(i, j), small.subarray(j)])
          assert.deepStrictEqual(show(frames), whole, `split at bytes ${i} and ${j}`)
        }
      }
    })

    it("returns each frame from the push that completes it", () => {
      const decoder = Frame.decoder(4096)
      assert.deepStrictEqual(show(decoder.push(bytes("hel"))), [])
      assert.strictEqual(decoder.pendingBytes(), 3)
      assert.deepStrictEqual(show(decoder.push(bytes("lo\nwor"))), show([line("hello")]))
      assert.strictEqual(decoder.pendingBytes(), 3)
      assert.deepStrictEqual(show(decoder.push(bytes("ld\n"))), show([line("world")]))
      assert.strictEqual(decoder.pendingBytes(), 0)
    })

    it("ignores empty chunks", () => {
      const decoder = Frame.decoder(4096)
      assert.deepStrictEqual(decoder.push(new Uint8Array(0)), [])
      assert.deepStrictEqual(show(decoder.push(bytes("a\r"))), [])
      assert.deepStrictEqual(decoder.push(new Uint8Array(0)), [])
      assert.deepStrictEqual(show(decoder.push(bytes("\n"))), show([line("a")]))
    })

    it("emits an empty line for a bare newline", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("\n\r\n\n")])), show([line(""), line(""), line("")]))
    })

    it("does not emit an unterminated tail", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("one\ntwo")])), show([line("one")]))
      assert.deepStrictEqual(show(decode(4096, [bytes("no newline at all")])), [])
    })
  })

  describe("carriage returns", () => {
    it("drops one \\r right before \\n", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("hello\r\n")])), show([line("hello")]))
    })

    it("keeps a \\r that is not directly before \\n as content", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("a\rb\n")])), show([line("a\rb")]))
      assert.deepStrictEqual(show(decode(4096, [bytes("\rstart\n")])), show([line("\rstart")]))
    })

    it("turns \\r\\r\\n into a line holding one \\r", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("\r\r\n")])), show([line("\r")]))
      assert.deepStrictEqual(show(decode(4096, [bytes("\r"), bytes("\r"), bytes("\n")])), show([line("\r")]))
    })

    it("keeps a \\r at the end of a chunk when more content follows", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("a\r"), bytes("b\n")])), show([line("a\rb")]))
      assert.deepStrictEqual(show(decode(4096, [bytes("a\r"), bytes("\r"), bytes("\n")])), show([line("a\r")]))
    })

    it("keeps a lone \\r of the unterminated tail out of the frames", () => {
      assert.deepStrictEqual(show(decode(4096, [bytes("a\r")])), [])
    })
  })

  describe("line length", () => {
    const max = 16

    it("accepts a line of exactly maxBytes", () => {
      const text = "x".repeat(max)
      assert.deepStrictEqual(show(decode(max, [bytes(`${text}\n`)])), show([line(text)]))
    })

    it("accepts a line of exactly maxBytes ended by \\r\\n, whole or split at every byte", () => {
      const text = "y".repeat(max)
      const all = bytes(`${text}\r\nnext\n`)
      for (let at = 0; at <= all.length; at++) {
        const decoder = Frame.decoder(max)
        const frames = [...decoder.push(all.subarray(0, at))]
        assert.isAtMost(decoder.pendingBytes(), max)
        frames.push(...decoder.push(all.subarray(at)))
        assert.deepStrictEqual(show(frames), show([line(text), line("next")]), `split at byte ${at}`)
      }
    })

    it("counts bytes, not characters", () => {
      // 4 × 4-byte emoji is 16 bytes; one more byte is too long.
      assert.deepStrictEqual(show(decode(max, [bytes("😀😀😀😀\n")])), show([line("😀😀😀😀")]))
      assert.deepStrictEqual(show(decode(max, [bytes("😀😀😀😀a\n")])), show([tooLong]))
    })

    it("gives exactly one TooLong for maxBytes + 1, and the next line is intact", () => {
      const text = "z".repeat(max + 1)
      assert.deepStrictEqual(
        show(decode(max, [bytes(`${text}\nafter\n`)])),
        show([tooLong, line("after")])
      )
    })

    it("gives exactly one TooLong for maxBytes + 1 fed one byte at a time", () => {
      const all = bytes(`${"z".repeat(max + 1)}\r\nafter\r\n`)
      const decoder = Frame.decoder(max)
      const frames: Array<Frame.Frame> = []
      for (const byte of all) {
        frames.push(...decoder.push(Uint8Array.of(byte)))
        assert.isAtMost(decoder.pendingBytes(), max)
      }
      assert.deepStrictEqual(show(frames), show([tooLong, line("after")]))
    })

    it("counts a kept \\r as content toward the limit", () => {
      // 15 bytes + "\r" content = 16: fits; 16 bytes + "\r" content = 17: too long.
      assert.deepStrictEqual(show(decode(max, [bytes(`${"a".repeat(15)}\r\r\n`)])), show([line(`${"a".repeat(15)}\r`)]))
      assert.deepStrictEqual(
        show(decode(max, [bytes(`${"a".repeat(16)}\r`), bytes("b\nok\n")])),
        show([tooLong, line("ok")])
      )
    })

    it("yields one TooLong for a 1 MB line without newline, never holding more than maxBytes", () => {
      const limit = 4096
      const decoder = Frame.decoder(limit)
      const chunk = new Uint8Array(1000).fill(0x61)
      const frames: Array<Frame.Frame> = []
      for (let sent = 0; sent < 1_000_000; sent += chunk.length) {
        frames.push(...decoder.push(chunk))
        assert.isAtMost(decoder.pendingBytes(), limit)
      }
      assert.deepStrictEqual(show(frames), show([tooLong]))
      // The rest of the long line is discarded up to its newline; the next line is intact.
      assert.deepStrictEqual(show(decoder.push(bytes("aaa\nhello\n"))), show([line("hello")]))
      assert.strictEqual(decoder.pendingBytes(), 0)
    })

    it("yields one TooLong for a 1 MB line pushed as a single chunk", () => {
      const decoder = Frame.decoder(4096)
      const frames = decoder.push(new Uint8Array(1_000_000).fill(0x62))
      assert.deepStrictEqual(show(frames), show([tooLong]))
      assert.isAtMost(decoder.pendingBytes(), 4096)
      assert.deepStrictEqual(show(decoder.push(bytes("\nnext\n"))), show([line("next")]))
    })

    it("gives one TooLong per long line", () => {
      const long = "q".repeat(max + 5)
      assert.deepStrictEqual(
        show(decode(max, [bytes(`${long}\n${long}\nshort\n`)])),
        show([tooLong, tooLong, line("short")])
      )
    })
  })

  describe("UTF-8", () => {
    it("decodes multi-byte characters split across chunks", () => {
      const all = bytes("é😀日\n")
      for (let at = 0; at <= all.length; at++) {
        assert.deepStrictEqual(show(decode(4096, [all.subarray(0, at), all.subarray(at)])), show([line("é😀日")]))
      }
    })

    it("decodes an invalid byte 0xff as U+FFFD", () => {
      const frames = decode(4096, [concatBytes(bytes("a"), [0xff], bytes("b\n"))])
      assert.deepStrictEqual(show(frames), show([line("a\uFFFDb")]))
    })

    it("decodes a truncated sequence as U+FFFD, keeping what follows", () => {
      // 0xe2 0x82 starts "€" (e2 82 ac) but stops short.
      assert.deepStrictEqual(show(decode(4096, [Uint8Array.of(0xe2, 0x82, 0x0a)])), show([line("\uFFFD")]))
      assert.deepStrictEqual(
        show(decode(4096, [concatBytes([0xe2, 0x82], bytes("x\n"))])),
        show([line("\uFFFDx")])
      )
      // A lone continuation byte, and a 4-byte lead with nothing after it.
      assert.deepStrictEqual(
        show(decode(4096, [Uint8Array.of(0x80, 0x41, 0xf0, 0x0a)])),
        show([line("\uFFFDA\uFFFD")])
      )
    })

    it("does not carry an invalid sequence over into the next line", () => {
      const frames = decode(4096, [Uint8Array.of(0xf0, 0x9f, 0x0a), bytes("ok\n")])
      assert.deepStrictEqual(show(frames), show([line("\uFFFD"), line("ok")]))
    })

    it("keeps a byte order mark", () => {
      assert.deepStrictEqual(
        show(decode(4096, [concatBytes([0xef, 0xbb, 0xbf], bytes("hi\n"))])),
        show([line("\uFEFFhi")])
      )
      assert.deepStrictEqual(
        show(decode(4096, [Uint8Array.of(0xef), Uint8Array.of(0xbb), Uint8Array.of(0xbf, 0x0a)])),
        show([line("\uFEFF")])
      )
    })
  })

  describe("against a reference model", () => {
    const utf8 = new TextDecoder("utf-8", { ignoreBOM: true })

    /** What PROTOCOL.md says, written the slow way: split at \n, drop one \r before it, check the length. */
    const reference = (input: Uint8Array, maxBytes: number): Array<string> => {
      const frames: Array<string> = []
      let start = 0
      for (let i = 0; i < input.length; i++) {
        if (input[i] !== 0x0a) continue
        const end = i > start && input[i - 1] === 0x0d ? i - 1 : i
        const body = input.subarray(start, end)
        frames.push(body.length > maxBytes ? "TooLong" : `Line:${JSON.stringify(utf8.decode(body))}`)
        start = i + 1
      }
      // A partial line is reported as soon as it is too long, before its \n arrives (a last \r may yet be dropped).
      const tail = input.length > start && input[input.length - 1] === 0x0d ? input.length - 1 : input.length
      if (tail - start > maxBytes) frames.push("TooLong")
      return frames
    }

    it.prop(
      "frames any bytes, cut anywhere, as the reference does, holding at most maxBytes",
      [
        FastCheck.uint8Array({ maxLength: 60 }).chain((raw) =>
          FastCheck.record({
            // Bytes from a small alphabet, so lines, \r, \n and broken UTF-8 are frequent.
            input: FastCheck.constant(
              Uint8Array.from(raw, (b) =>
                [0x61, 0x0d, 0x0a, 0x0d, 0x0a, 0xff, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80][b % 12]!)
            ),
            cuts: FastCheck.uniqueArray(FastCheck.nat(raw.length), { maxLength: 8 }),
            maxBytes: FastCheck.integer({ min: 1, max: 8 })
          })
        )
      ],
      ([{ cuts, input, maxBytes }]) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), input.length]
        const decoder = Frame.decoder(maxBytes)
        const frames: Array<Frame.Frame> = []
        for (let i = 0; i + 1 < points.length; i++) {
          frames.push(...decoder.push(input.subarray(points[i], points[i + 1])))
          assert.isAtMost(decoder.pendingBytes(), maxBytes)
        }
        assert.deepStrictEqual(show(frames), reference(input, maxBytes))
      },
      { fastCheck: { seed: 4096, numRuns: 1000 } }
    )
  })
})
