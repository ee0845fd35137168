/**
 * How many terminal columns text takes, and where its characters begin.
 * Pure.
 *
 * Text is measured in grapheme clusters (what a person sees as one
 * character: `é` written as `e` + U+0301, a flag, `👩‍💻`), because the cursor
 * must never land inside one. A cluster is as wide as its first code point:
 * 2 for East Asian wide and fullwidth characters and emoji shown as emoji,
 * 0 for combining marks, format and control characters, 1 otherwise. This is
 * what tmux, VTE and most current terminals do; a terminal that measures
 * every code point of a ZWJ sequence on its own may show `👩‍💻` as 4 columns.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" })

/** The grapheme clusters of `text`, in order; joined they are `text`. */
export const graphemes = (text: string): Array<string> => Array.from(segmenter.segment(text), (s) => s.segment)

const zeroWidth = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}\u1160-\u11FF]/u
const emojiPresentation = /^\p{Emoji_Presentation}/u

/** East Asian Wide (W) and Fullwidth (F) ranges outside the emoji, from Unicode's EastAsianWidth.txt. */
const wideRanges: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115F],
  [0x2329, 0x232A],
  [0x2E80, 0x303E],
  [0x3041, 0x33FF],
  [0x3400, 0x4DBF],
  [0x4E00, 0x9FFF],
  [0xA000, 0xA4CF],
  [0xA960, 0xA97F],
  [0xAC00, 0xD7A3],
  [0xF900, 0xFAFF],
  [0xFE10, 0xFE19],
  [0xFE30, 0xFE6F],
  [0xFF00, 0xFF60],
  [0xFFE0, 0xFFE6],
  [0x16FE0, 0x16FE4],
  [0x17000, 0x18CFF],
  [0x1AFF0, 0x1B2FF],
  [0x1F200, 0x1F2FF],
  [0x20000, 0x2FFFD],
  [0x30000, 0x3FFFD]
]

const isWide = (codePoint: number): boolean => wideRanges.some(([from, to]) => codePoint >= from && codePoint <= to)

/** The columns one grapheme cluster takes: 0, 1 or 2. */
export const graphemeWidth = (cluster: string): number => {
  const first = cluster.codePointAt(0)
  if (first === undefined) return 0
  if (first >= 0x20 && first < 0x7F) return 1
  if (zeroWidth.test(cluster)) return 0
  return emojiPresentation.test(cluster) || isWide(first) ? 2 : 1
}

/** The columns `text` takes on one terminal line. */
export const displayWidth = (text: string): number => {
  // Printable ASCII, by far the most common text, needs no segmentation.
  if (/^[\x20-\x7E]*$/.test(text)) return text.length
  let width = 0
  for (const cluster of graphemes(text)) width += graphemeWidth(cluster)
  return width
}

/** The offset of the cluster boundary before `offset` (0 at the start). */
export const previousBoundary = (text: string, offset: number): number => {
  let boundary = 0
  for (const { index } of segmenter.segment(text)) {
    if (index >= offset) break
    boundary = index
  }
  return boundary
}

/** The offset of the cluster boundary after `offset` (`text.length` at the end). */
export const nextBoundary = (text: string, offset: number): number => {
  for (const { index, segment } of segmenter.segment(text)) {
    if (index + segment.length > offset) return index + segment.length
  }
  return text.length
}
