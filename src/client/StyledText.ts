/**
 * Text with styles, wrapped to a terminal's width and written with ANSI
 * colours or without. Pure.
 *
 * Styles stay apart from the text until the very end, so widths are always
 * measured on what is shown, never on escape sequences, and the same line
 * can be written in colour or plain.
 */
import * as DisplayWidth from "./DisplayWidth.js"

/** SGR parameters (`[1, 31]` is bold red); empty is the terminal's default. */
export type Style = ReadonlyArray<number>

export interface Span {
  readonly text: string
  readonly style: Style
}

/** A line of spans; once wrapped, one that fits in the terminal's width. */
export type Spans = ReadonlyArray<Span>

export const span = (text: string, style: Style = []): Span => ({ text, style })

export const plain = (spans: Spans): string => spans.map((s) => s.text).join("")

export const width = (spans: Spans): number => spans.reduce((n, s) => n + DisplayWidth.displayWidth(s.text), 0)

const sgr = (style: Style): string => `\x1b[${style.join(";")}m`

/** The spans as they are written: with SGR sequences when `colour`, else the bare text. */
export const render = (spans: Spans, colour: boolean): string =>
  colour
    ? spans.map((s) => s.style.length === 0 || s.text === "" ? s.text : `${sgr(s.style)}${s.text}${sgr([0])}`).join("")
    : plain(spans)

// ---------------------------------------------------------------------------
// Wrapping

interface Cell {
  readonly text: string
  readonly width: number
  readonly style: Style
}

const sameStyle = (a: Style, b: Style): boolean => a.length === b.length && a.every((n, i) => n === b[i])

const toCells = (spans: Spans): Array<Cell> =>
  spans.flatMap((s) =>
    DisplayWidth.graphemes(s.text).map((text) => ({ text, width: DisplayWidth.graphemeWidth(text), style: s.style }))
  )

/** The same text, with neighbouring spans of the same style made one. */
export const merge = (spans: Spans): Spans => {
  const out: Array<Span> = []
  for (const next of spans) {
    const last = out.at(-1)
    if (last !== undefined && sameStyle(last.style, next.style)) {
      out[out.length - 1] = span(last.text + next.text, last.style)
    } else out.push(next)
  }
  return out
}

const toSpans = (cells: ReadonlyArray<Cell>): Spans => merge(cells.map((cell) => span(cell.text, cell.style)))

const isBlank = (cell: Cell): boolean => cell.text === " "

const trimEnd = (cells: Array<Cell>, keep: number): Array<Cell> => {
  let end = cells.length
  while (end > keep && isBlank(cells[end - 1]!)) end--
  return cells.slice(0, end)
}

/**
 * Breaks `spans` into rows of at most `columns` columns, between words where
 * it can and inside a word only when the word alone is wider than a row.
 * Rows after the first start with `indent` blank columns (dropped when the
 * indent would take more than half a row), so a long message stays visibly
 * one message. Blanks at a break are dropped.
 */
export const wrap = (spans: Spans, columns: number, indent = 0): Array<Spans> => {
  const cols = Math.max(1, columns)
  // The indent leaves room for at least half a row, and for a wide character.
  const margin = indent * 2 <= cols && indent + 2 <= cols ? indent : 0
  const indentCells: Array<Cell> = Array.from({ length: margin }, () => ({ text: " ", width: 1, style: [] }))
  const rows: Array<Array<Cell>> = []
  let row: Array<Cell> = []
  let rowWidth = 0
  // Where the row starts holding text: after the indent on continuation rows.
  let start = 0
  // The index in `row` of the last blank, where the row can be broken.
  let lastBlank = -1

  const newRow = (carried: Array<Cell>): void => {
    row = [...indentCells, ...carried]
    start = indentCells.length
    rowWidth = row.reduce((n, c) => n + c.width, 0)
    lastBlank = -1
  }

  for (const cell of toCells(spans)) {
    if (rowWidth + cell.width > cols && row.length > start) {
      if (isBlank(cell)) {
        rows.push(trimEnd(row, start))
        newRow([])
        continue
      }
      const carried = lastBlank >= start ? row.slice(lastBlank + 1) : []
      const carriedWidth = carried.reduce((n, c) => n + c.width, 0)
      // Break at the last blank if the word it carries over fits on the next row.
      if (lastBlank >= start && margin + carriedWidth + cell.width <= cols) {
        rows.push(trimEnd(row.slice(0, lastBlank), start))
        newRow(carried)
      } else {
        rows.push(row)
        newRow([])
      }
    }
    if (isBlank(cell) && row.length === start && rows.length > 0) continue
    if (isBlank(cell)) lastBlank = row.length
    row.push(cell)
    rowWidth += cell.width
  }
  rows.push(row)
  return rows.map(toSpans)
}
