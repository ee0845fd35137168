/**
 * PROTOCOL.md's definitions, written once for the tests that check them:
 * what a control character is, and the six kinds of line the server sends.
 * A model of the spec, kept apart from `src` on purpose: the tests compare
 * the server against it, not against itself.
 */

/** PROTOCOL.md's control characters: U+0000–U+001F except TAB, U+007F, U+0080–U+009F. */
export const isControl = (codePoint: number): boolean =>
  (codePoint <= 0x1f && codePoint !== 0x09) || (codePoint >= 0x7f && codePoint <= 0x9f)

/** Whether `text` holds a control character, which must never reach anyone. */
export const hasControl = (text: string): boolean => Array.from(text).some((c) => isControl(c.codePointAt(0)!))

const nick = "[A-Za-z][A-Za-z0-9_-]{0,23}"
/** The six kinds of line of PROTOCOL.md, "What the server sends", by their first characters. */
const lineKinds = new RegExp(`^(<${nick}> |\\* ${nick} |\\[pm\\] <${nick}> |\\[pm -> ${nick}\\] |\\*\\*\\* |! )`)

/** Whether `line` is one of the six kinds of line the server may send. */
export const isProtocolLine = (line: string): boolean => lineKinds.test(line)

/** Unicode's White_Space property, listed from the Unicode Character Database (PropList.txt). */
export const whiteSpace = new Set([
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x20,
  0x85,
  0xa0,
  0x1680,
  0x2000,
  0x2001,
  0x2002,
  0x2003,
  0x2004,
  0x2005,
  0x2006,
  0x2007,
  0x2008,
  0x2009,
  0x200a,
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000
])
