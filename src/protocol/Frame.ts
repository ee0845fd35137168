/**
 * The line codec: bytes in, lines out. Pure apart from the few bytes of a
 * partial line that one decoder carries between chunks.
 *
 * - A line ends with `\n`; one `\r` right before it is dropped.
 * - Bytes that are not UTF-8 become U+FFFD; they never fail the stream.
 * - A partial line never holds more than `maxBytes`: a longer line yields one
 *   `TooLong` and is discarded up to its `\n`. "Need more bytes" is simply no
 *   output, not an error.
 */
import { Data } from "effect"

export type Frame = Data.TaggedEnum<{
  Line: { readonly text: string }
  TooLong: {}
}>
export const Frame = Data.taggedEnum<Frame>()

export interface Decoder {
  /** Feed the next chunk; returns the frames it completes, in order. */
  readonly push: (chunk: Uint8Array) => Array<Frame>
  /** Bytes held for the current partial line (for tests and leak checks). */
  readonly pendingBytes: () => number
}

const NL = 0x0a
const CR = 0x0d
const crByte = Uint8Array.of(CR)
// Stateless use only (no `stream: true`), so one instance serves every connection.
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })
const tooLong: Frame = Frame.TooLong()

export const decoder = (maxBytes: number): Decoder => {
  let parts: Array<Uint8Array> = []
  let size = 0
  // A `\r` at the end of a chunk may be the one dropped before `\n`; it is
  // held as a flag rather than a byte so a line of exactly `maxBytes` plus
  // `\r\n` never needs `maxBytes + 1` bytes of buffer.
  let heldCR = false
  let discarding = false

  const append = (part: Uint8Array, out: Array<Frame>): void => {
    if (discarding || part.length === 0) return
    if (size + part.length > maxBytes) {
      discarding = true
      parts = []
      size = 0
      out.push(tooLong)
      return
    }
    parts.push(part)
    size += part.length
  }

  const finishLine = (out: Array<Frame>): void => {
    if (!discarding) out.push(Frame.Line({ text: utf8.decode(concat(parts, size)) }))
    parts = []
    size = 0
    discarding = false
  }

  const push = (chunk: Uint8Array): Array<Frame> => {
    const out: Array<Frame> = []
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(NL, start)
      const complete = newline !== -1
      const end = complete ? newline : chunk.length
      const endsWithCR = end > start && chunk[end - 1] === CR
      const body = chunk.subarray(start, endsWithCR ? end - 1 : end)
      // A held `\r` was content if anything but the `\n` came after it.
      if (heldCR && end > start) append(crByte, out)
      heldCR = false
      if (complete) {
        append(body, out)
        finishLine(out)
        start = newline + 1
      } else {
        // The tail is copied: a subarray would pin the whole read buffer
        // for as long as the line stays partial.
        append(body.slice(), out)
        heldCR = endsWithCR
        start = end
      }
    }
    return out
  }

  return { push, pendingBytes: () => size }
}

const concat = (parts: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (parts.length === 1) return parts[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.length
  }
  return bytes
}
