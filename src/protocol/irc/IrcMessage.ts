/**
 * IRC messages as data (RFC 1459 §2.3, modern.ircdocs.horse "Messages"):
 * reading one line a client sent, and writing one line to send. Tags are
 * read and ignored (no capability that sends them is offered); the source a
 * client gives is ignored too, as every server does.
 */

export interface IrcMessage {
  /** Upper-cased. */
  readonly command: string
  readonly params: ReadonlyArray<string>
}

/** Reads one line (without its CR LF); undefined for a line with no command (blank, or only tags/source). */
export const parse = (line: string): IrcMessage | undefined => {
  let rest = line
  if (rest.startsWith("@")) rest = afterWord(rest)
  rest = rest.replace(/^ +/, "")
  if (rest.startsWith(":")) rest = afterWord(rest)
  const params: Array<string> = []
  let command: string | undefined
  while (rest.length > 0) {
    rest = rest.replace(/^ +/, "")
    if (rest.length === 0) break
    if (command !== undefined && rest.startsWith(":")) {
      params.push(rest.slice(1))
      break
    }
    const space = rest.indexOf(" ")
    const word = space === -1 ? rest : rest.slice(0, space)
    rest = space === -1 ? "" : rest.slice(space + 1)
    if (command === undefined) command = word.toUpperCase()
    else params.push(word)
  }
  return command === undefined ? undefined : { command, params }
}

const afterWord = (text: string): string => {
  const space = text.indexOf(" ")
  return space === -1 ? "" : text.slice(space + 1)
}

/**
 * One line ready to write, CR LF included. The last parameter is written as
 * a trailing one (`:text`) when it has to be, or when `trailing` says so
 * (texts, which clients expect that way).
 */
export const line = (
  source: string | undefined,
  command: string,
  params: ReadonlyArray<string>,
  trailing = false
): string => {
  let out = source === undefined ? command : `:${source} ${command}`
  params.forEach((param, i) => {
    const last = i === params.length - 1
    out += last && (trailing || param === "" || param.includes(" ") || param.startsWith(":"))
      ? ` :${param}`
      : ` ${param}`
  })
  return `${out}\r\n`
}

/** Bytes of `text` in UTF-8. */
export const byteLength = (text: string): number => Buffer.byteLength(text, "utf8")

/**
 * Splits `text` into pieces of at most `maxBytes` bytes of UTF-8 each, on
 * code point boundaries, preferring a space: a long line from a line-protocol
 * user becomes several IRC messages instead of one over the 512-byte limit.
 */
export const split = (text: string, maxBytes: number): Array<string> => {
  if (byteLength(text) <= maxBytes) return [text]
  const pieces: Array<string> = []
  let current = ""
  let size = 0
  let lastSpace = -1
  for (const char of text) {
    const bytes = byteLength(char)
    if (size + bytes > maxBytes) {
      if (char === " ") {
        // The space between two pieces goes with neither.
        pieces.push(current)
        current = ""
        size = 0
        lastSpace = -1
        continue
      }
      if (lastSpace > 0) {
        pieces.push(current.slice(0, lastSpace))
        current = current.slice(lastSpace + 1)
      } else {
        pieces.push(current)
        current = ""
      }
      size = byteLength(current)
      lastSpace = -1
    }
    if (char === " ") lastSpace = current.length
    current += char
    size += bytes
  }
  if (current !== "") pieces.push(current)
  return pieces
}
