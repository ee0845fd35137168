/**
 * The bottom of the terminal: the prompt and the line being typed, kept
 * below everything received. Pure: these functions return the text to
 * write, escape sequences included.
 *
 * The screen is never taken over (no alternate screen, no scroll region):
 * received lines are written the ordinary way, so the terminal's own
 * scrollback, search and copy keep working. To show a line while someone
 * types, the prompt area is erased, the line is written in its place, and
 * the prompt and what was typed are written again below it, with the cursor
 * where it was in the text. Every row is laid out here, wide characters
 * included, so the cursor's row and column are known rather than guessed;
 * the terminal never wraps anything itself.
 */
import * as DisplayWidth from "./DisplayWidth.js"
import type { Spans, Style } from "./StyledText.js"
import * as StyledText from "./StyledText.js"

/** The prompt area as last written. */
export interface Frame {
  /** The rows as written, each at most `columns` wide. */
  readonly rows: ReadonlyArray<string>
  /** The width of each row, in columns. */
  readonly widths: ReadonlyArray<number>
  /** The terminal's width when it was written. */
  readonly columns: number
  /** The cursor's row, counted from the first row of the prompt area. */
  readonly cursorRow: number
  readonly cursorColumn: number
}

/** Nothing written yet: the cursor is at the start of an empty row. */
export const blank: Frame = { rows: [""], widths: [0], columns: 0, cursorRow: 0, cursorColumn: 0 }

const csi = "\x1b["
const up = (n: number): string => n > 0 ? `${csi}${n}A` : ""
const right = (n: number): string => n > 0 ? `${csi}${n}C` : ""
const eraseBelow = `${csi}J`
const clearAll = `${csi}H${csi}2J`

interface Cell {
  readonly text: string
  readonly width: number
  readonly style: Style
}

/**
 * Lays out `prompt` then `input` in rows of `columns`, wrapping at any
 * character (a wide one that does not fit goes to the next row), with the
 * cursor before the input's character at offset `cursor`. When the cursor
 * is past a full last row, an empty row is added for it.
 */
export const layout = (
  prompt: Spans,
  input: string,
  cursor: number,
  columns: number,
  colour: boolean
): Frame => {
  const cols = Math.max(1, columns)
  const promptCells: Array<Cell> = prompt.flatMap((s) =>
    DisplayWidth.graphemes(s.text).map((text) => ({ text, width: DisplayWidth.graphemeWidth(text), style: s.style }))
  )
  const before = DisplayWidth.graphemes(input.slice(0, cursor)).length
  const inputCells: Array<Cell> = DisplayWidth.graphemes(input).map((text) => ({
    text,
    width: DisplayWidth.graphemeWidth(text),
    style: []
  }))
  const cells = [...promptCells, ...inputCells]
  const cursorCell = promptCells.length + before

  const rows: Array<Array<Cell>> = [[]]
  let column = 0
  let cursorRow = 0
  let cursorColumn = 0
  cells.forEach((cell, i) => {
    if (column + cell.width > cols && column > 0) {
      rows.push([])
      column = 0
    }
    if (i === cursorCell) {
      cursorRow = rows.length - 1
      cursorColumn = column
    }
    rows.at(-1)!.push(cell)
    column += cell.width
  })
  if (cursorCell >= cells.length) {
    if (column >= cols) {
      rows.push([])
      column = 0
    }
    cursorRow = rows.length - 1
    cursorColumn = column
  }
  const written = rows.map((row) =>
    StyledText.render(StyledText.merge(row.map((cell) => StyledText.span(cell.text, cell.style))), colour)
  )
  const widths = rows.map((row) => row.reduce((n, cell) => n + cell.width, 0))
  return { rows: written, widths, columns: cols, cursorRow, cursorColumn }
}

/**
 * The prompt area written as `frame`, after the terminal was made
 * `columns` wide. Terminals that reflow on resize (tmux, VTE, kitty,
 * iTerm2, Windows Terminal) break each row that no longer fits into
 * several, and the cursor moves down with them; this is where the prompt
 * area then starts relative to the cursor. (A terminal that cuts rows
 * instead, like xterm, keeps the rows as they were; then up to the rows
 * counted here in excess, above the prompt, are erased by the next draw.)
 */
export const resized = (frame: Frame, columns: number): Frame => {
  const cols = Math.max(1, columns)
  if (frame.columns === 0 || cols >= frame.columns) return frame
  const rowsOf = (width: number) => Math.max(1, Math.ceil(width / cols))
  const above = frame.widths.slice(0, frame.cursorRow).reduce((n, width) => n + rowsOf(width), 0)
  return { ...frame, columns: cols, cursorRow: above + Math.floor(frame.cursorColumn / cols) }
}

const moveToTop = (previous: Frame): string => `\r${up(previous.cursorRow)}`

const write = (next: Frame): string =>
  next.rows.join("\r\n") + `\r${up(next.rows.length - 1 - next.cursorRow)}${right(next.cursorColumn)}`

/**
 * Replaces the prompt area written as `previous` with the rows `above`
 * (each at most the terminal's width) followed by the prompt area `next`.
 */
export const draw = (previous: Frame, above: ReadonlyArray<string>, next: Frame): string =>
  moveToTop(previous) + eraseBelow + above.map((row) => `${row}\r\n`).join("") + write(next)

/** Clears the whole screen, leaving the cursor at its top (Ctrl-L): then `draw` from `blank`. */
export const clearScreen = clearAll

/** Erases the prompt area, leaving the cursor at the start of its first row (on exit). */
export const erase = (previous: Frame): string => moveToTop(previous) + eraseBelow
