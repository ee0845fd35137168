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
