/**
 * A small terminal emulator for tests of what `chat connect` writes: just
 * the part of a VT100/xterm that the client uses (text with wide
 * characters, auto-wrap with its pending-wrap state, CR, LF with scrolling,
 * cursor up and right, erase below, clear screen, SGR ignored). It records
 * the rows that scroll off the top, so a test sees the whole transcript.
 */
import * as DisplayWidth from "../../src/client/DisplayWidth.js"

export class VirtualTerminal {
  /** Each row's cells: a grapheme, "" for the second column of a wide one, " " when blank. */
  private grid: Array<Array<string>>
  /** Rows scrolled off the top, oldest first, as text. */
  readonly scrollback: Array<string> = []
  row = 0
  /** `columns` means the last column was written and the next character wraps first. */
  column = 0

  constructor(readonly columns: number, readonly rows: number) {
    this.grid = Array.from({ length: rows }, () => this.blankRow())
  }

  private blankRow(): Array<string> {
    return Array.from({ length: this.columns }, () => " ")
  }

  private lineFeed(): void {
    if (this.row < this.rows - 1) {
      this.row++
      return
    }
    this.scrollback.push(this.rowText(this.grid.shift()!))
    this.grid.push(this.blankRow())
  }

  private rowText(cells: ReadonlyArray<string>): string {
    return cells.join("").trimEnd()
  }

  private print(cluster: string): void {
    const width = DisplayWidth.graphemeWidth(cluster)
    if (width === 0) return
    if (this.column + width > this.columns) {
      this.column = 0
      this.lineFeed()
    }
    const cells = this.grid[this.row]!
    cells[this.column] = cluster
    if (width === 2) cells[this.column + 1] = ""
    this.column += width
  }

  private csi(params: string, final: string): void {
    const n = params === "" ? 1 : Number(params.split(";")[0])
    const column = Math.min(this.column, this.columns - 1)
    switch (final) {
      case "A":
        this.row = Math.max(0, this.row - n)
        this.column = column
        return
      case "C":
        this.column = Math.min(this.columns - 1, column + n)
        return
      case "H":
        this.row = 0
        this.column = 0
        return
      case "J":
        if (params === "2") {
          this.grid = Array.from({ length: this.rows }, () => this.blankRow())
          return
        }
        for (let c = column; c < this.columns; c++) this.grid[this.row]![c] = " "
        for (let r = this.row + 1; r < this.rows; r++) this.grid[r] = this.blankRow()
        return
      case "m":
        return
      default:
        throw new Error(`VirtualTerminal: unsupported sequence CSI ${params}${final}`)
    }
  }

  write(text: string): void {
    let i = 0
    let plain = ""
    const flush = () => {
      for (const cluster of DisplayWidth.graphemes(plain)) this.print(cluster)
      plain = ""
    }
    while (i < text.length) {
      const c = text[i]!
      if (c === "\x1b") {
        flush()
        if (text[i + 1] !== "[") {
          throw new Error(`VirtualTerminal: unsupported escape at ${JSON.stringify(text.slice(i, i + 8))}`)
        }
        let end = i + 2
        while (end < text.length && /[0-9;?]/.test(text[end]!)) end++
        const final = text[end]
        if (final === undefined || !/[A-Za-z]/.test(final)) {
          throw new Error(`VirtualTerminal: unfinished escape at ${i}`)
        }
        this.csi(text.slice(i + 2, end), final)
        i = end + 1
      } else if (c === "\r") {
        flush()
        this.column = 0
        i++
      } else if (c === "\n") {
        flush()
        this.lineFeed()
        i++
      } else if (c < " ") {
        throw new Error(`VirtualTerminal: unexpected control character ${JSON.stringify(c)}`)
      } else {
        plain += c
        i++
      }
    }
    flush()
  }

  /** The visible rows as text, without trailing blanks. */
  get screen(): Array<string> {
    return this.grid.map((cells) => this.rowText(cells))
  }

  /** Every row written so far, scrolled off or visible, without the empty rows at the bottom. */
  get transcript(): Array<string> {
    const all = [...this.scrollback, ...this.screen]
    while (all.length > 0 && all.at(-1) === "") all.pop()
    return all
  }

  /** The cursor's column, as the terminal shows it (the last column while a wrap is pending). */
  get cursorColumn(): number {
    return Math.min(this.column, this.columns - 1)
  }
}
