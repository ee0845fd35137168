/**
 * The whole path from one client's bytes to another client's screen, on the
 * in-memory layer: whatever bytes alice sends, cut into whatever reads, bob
 * gets exactly her lines as PROTOCOL.md describes them (framed, decoded,
 * cleaned, each as `<guest-1> TEXT`), never a control character, and alice
 * gets one `! line too long` per long line and stays connected.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import * as MemoryChat from "../support/MemoryChat.js"
import { isControl, whiteSpace } from "../support/Protocol.js"

const maxLineBytes = 32

/** PROTOCOL.md's control characters. */

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true })

/** PROTOCOL.md's "Framing", read on its own: what bob sees of alice's bytes, and how many errors she gets. */
const expected = (input: Uint8Array): { readonly relayed: Array<string>; readonly tooLong: number } => {
  const relayed: Array<string> = []
  let tooLong = 0
  let start = 0
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== 0x0a) continue
    const end = i > start && input[i - 1] === 0x0d ? i - 1 : i
    const body = input.subarray(start, end)
    start = i + 1
    if (body.length > maxLineBytes) {
      tooLong++
      continue
    }
    const kept = Array.from(utf8.decode(body)).filter((c) => !isControl(c.codePointAt(0)!))
    while (kept.length > 0 && whiteSpace.has(kept[kept.length - 1]!.codePointAt(0)!)) kept.pop()
    if (kept.length > 0) relayed.push(`<guest-1> ${kept.join("")}`)
  }
  return { relayed, tooLong }
}

/** Bytes where `\r`, `\n`, controls, white space and broken UTF-8 are frequent; never `/`, so every line is a message. */
const noise = FastCheck.array(
  FastCheck.oneof(
    FastCheck.constantFrom(
      [0x0a],
      [0x0d],
      [0x0d, 0x0a],
      [0x00],
      [0x1b, 0x5b, 0x32, 0x4a],
      [0x07],
      [0x7f],
      [0xc2, 0x85],
      [0xc2, 0x9b],
      [0xc2, 0xa0],
      [0xe3, 0x80, 0x80],
      [0x20],
      [0x09],
      [0xff],
      [0xe4, 0xbd],
      [0xf0, 0x9f, 0x98, 0x80],
      [0x65, 0xcc, 0x81]
    ),
    FastCheck.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) =>
      Array.from(bytes, (b) => b === 0x2f ? 0x2e : b)
    )
  ),
  { maxLength: 120 }
).map((pieces) => Uint8Array.from(pieces.flat()))

const cutNoise = noise.chain((input) =>
  FastCheck.record({
    input: FastCheck.constant(input),
    cuts: FastCheck.uniqueArray(FastCheck.nat(input.length), { maxLength: 10 })
  })
)

describe("relaying any bytes", () => {
  it.scoped.prop(
    "bob sees exactly alice's lines, framed, decoded and cleaned; alice gets one error per long line",
    [cutNoise],
    ([{ cuts, input }]) =>
      Effect.gen(function*() {
        const alice = yield* MemoryChat.connect
        const bob = yield* MemoryChat.connect
        yield* alice.readLine
        const points = [0, ...[...cuts].sort((a, b) => a - b), input.length]
        for (let i = 0; i + 1 < points.length; i++) yield* alice.send(input.subarray(points[i], points[i + 1]))
        // Ends alice's last partial line, if any, then a line bob will know.
        yield* alice.send("\nend of run\n")
        const got = yield* bob.readUntil((line) => line === "<guest-1> end of run")

        const whole = new Uint8Array(input.length + 1)
        whole.set(input)
        whole[input.length] = 0x0a
        const model = expected(whole)
        assert.deepStrictEqual(got, [...model.relayed, "<guest-1> end of run"])
        for (const line of got) assert.isFalse(Array.from(line).some((c) => isControl(c.codePointAt(0)!)))

        yield* alice.sendLine("/who")
        const toAlice = yield* alice.readUntil((line) => line.startsWith("*** in #lobby"))
        assert.deepStrictEqual(toAlice, [
          ...Array.from({ length: model.tooLong }, () => `! line too long (max ${maxLineBytes} bytes)`),
          "*** in #lobby: guest-1, guest-2"
        ])
      }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, maxLineBytes }))),
    { fastCheck: { numRuns: 60 } }
  )
})
