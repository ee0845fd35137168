/**
 * The line being typed at the prompt, as a value: keys in, a new line and
 * what to do out. Pure.
 *
 * The cursor is an offset into the text that is always on a grapheme
 * cluster boundary, so moving and deleting never split `é` or `👩‍💻`.
 * History is browsed with up and down without losing the line being typed;
 * Tab completes command names at the start of a line and nicks elsewhere,
 * and pressed again cycles through the other matches.
 */
import type * as Terminal from "@effect/platform/Terminal"
import { Data, Option } from "effect"
import * as DisplayWidth from "./DisplayWidth.js"

export type Key = Data.TaggedEnum<{
  Insert: { readonly text: string }
  Backspace: {}
  Delete: {}
  Left: {}
  Right: {}
  WordLeft: {}
  WordRight: {}
  Home: {}
  End: {}
  Up: {}
  Down: {}
  Tab: {}
  /** Ctrl-U */
  DeleteToStart: {}
  /** Ctrl-K */
  DeleteToEnd: {}
  /** Ctrl-W: the word before the cursor. */
  DeleteWord: {}
  Enter: {}
  /** Ctrl-C */
  Interrupt: {}
  /** Ctrl-D */
  EndOfInput: {}
  /** Ctrl-L */
  Redraw: {}
}>
export const Key = Data.taggedEnum<Key>()

/** What the caller does after a key. */
export type Action = Data.TaggedEnum<{
  /** Only the line changed: redraw it. */
  Edited: {}
  /** Enter on a line that is not blank. */
  Submit: { readonly line: string }
  /** Ctrl-C, or Ctrl-D on an empty line. */
  Quit: {}
  /** Ctrl-L: clear the screen and redraw. */
  ClearScreen: {}
}>
export const Action = Data.taggedEnum<Action>()

interface Completion {
  /** Where the word being completed starts. */
  readonly start: number
  readonly candidates: ReadonlyArray<string>
  readonly index: number
  readonly suffix: string
}

export interface LineEditor {
  readonly text: string
  /** An offset into `text` on a grapheme cluster boundary. */
  readonly cursor: number
  /** Lines submitted, oldest first. */
  readonly history: ReadonlyArray<string>
  /** The history entry shown; `history.length` while on the line being typed. */
  readonly recall: number
  /** The line being typed, kept while browsing history. */
  readonly draft: string
  /** Set right after a Tab, so that the next Tab cycles. */
  readonly completion: Option.Option<Completion>
}

/** What Tab can complete. */
export interface Completions {
  /** Command names with their `/`, completed at the start of a line. */
  readonly commands: ReadonlyArray<string>
  /** Asked for only when Tab is pressed: the list can be long and costly to gather. */
  readonly nicks: () => ReadonlyArray<string>
}

/** Lines of history kept; older ones are forgotten. */
export const historyLimit = 500

export const empty: LineEditor = { text: "", cursor: 0, history: [], recall: 0, draft: "", completion: Option.none() }

/** An editor holding `text` with the cursor at `cursor` (its end by default), for tests and restores. */
export const make = (text: string, cursor: number = text.length): LineEditor => ({ ...empty, text, cursor })

// ---------------------------------------------------------------------------
// Keys from the terminal

const controlKeys: Record<string, Key> = {
  a: Key.Home(),
  b: Key.Left(),
  c: Key.Interrupt(),
  d: Key.EndOfInput(),
  e: Key.End(),
  f: Key.Right(),
  h: Key.Backspace(),
  k: Key.DeleteToEnd(),
  l: Key.Redraw(),
  n: Key.Down(),
  p: Key.Up(),
  u: Key.DeleteToStart(),
  w: Key.DeleteWord(),
  left: Key.WordLeft(),
  right: Key.WordRight()
}

const metaKeys: Record<string, Key> = {
  b: Key.WordLeft(),
  f: Key.WordRight(),
  left: Key.WordLeft(),
  right: Key.WordRight(),
  backspace: Key.DeleteWord()
}

const namedKeys: Record<string, Key> = {
  return: Key.Enter(),
  enter: Key.Enter(),
  backspace: Key.Backspace(),
  delete: Key.Delete(),
  left: Key.Left(),
  right: Key.Right(),
  up: Key.Up(),
  down: Key.Down(),
  home: Key.Home(),
  end: Key.End(),
  tab: Key.Tab()
}

const hasControl = /\p{Cc}/u

/** A key press as the editor knows it; none for keys it ignores (F1, Escape, Ctrl-Z…). */
export const keyOf = (input: Terminal.UserInput): Option.Option<Key> => {
  const { ctrl, meta, name } = input.key
  if (ctrl) return Option.fromNullable(controlKeys[name])
  if (meta) return Option.fromNullable(metaKeys[name])
  const named = namedKeys[name]
  if (named !== undefined) return Option.some(named)
  return Option.filter(input.input, (text) => text !== "" && !hasControl.test(text)).pipe(
    Option.map((text) => Key.Insert({ text }))
  )
}

// ---------------------------------------------------------------------------
// Editing

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t"

const edited = (editor: LineEditor, text: string, cursor: number): LineEditor => ({
  ...editor,
  text,
  cursor,
  recall: editor.history.length,
  draft: "",
  completion: Option.none()
})

const moved = (editor: LineEditor, cursor: number): LineEditor => ({ ...editor, cursor, completion: Option.none() })

const wordStart = (text: string, from: number): number => {
  let i = from
  while (i > 0 && isBlank(text[i - 1])) i--
  while (i > 0 && !isBlank(text[i - 1])) i--
  return i
}

const wordEnd = (text: string, from: number): number => {
  let i = from
  while (i < text.length && isBlank(text[i])) i++
  while (i < text.length && !isBlank(text[i])) i++
  return i
}

const recall = (editor: LineEditor, index: number): LineEditor => {
  const draft = editor.recall === editor.history.length ? editor.text : editor.draft
  const text = index === editor.history.length ? draft : editor.history[index]!
  return { ...editor, text, cursor: text.length, recall: index, draft, completion: Option.none() }
}

const submitted = (editor: LineEditor): LineEditor => {
  const last = editor.history.at(-1)
  const history = last === editor.text ? editor.history : [...editor.history, editor.text].slice(-historyLimit)
  return { ...empty, history, recall: history.length }
}

const startsWithIgnoringCase = (name: string, prefix: string): boolean =>
  name.toLowerCase().startsWith(prefix.toLowerCase())

const replaceWord = (editor: LineEditor, completion: Completion, end: number): LineEditor => {
  const rest = editor.text.slice(end)
  const suffix = isBlank(rest[0]) ? completion.suffix.trimEnd() : completion.suffix
  const word = completion.candidates[completion.index]! + suffix
  const text = editor.text.slice(0, completion.start) + word + rest
  return { ...edited(editor, text, completion.start + word.length), completion: Option.some(completion) }
}

const complete = (editor: LineEditor, completions: Completions): LineEditor => {
  if (Option.isSome(editor.completion)) {
    const previous = editor.completion.value
    const next = { ...previous, index: (previous.index + 1) % previous.candidates.length }
    return replaceWord(editor, next, editor.cursor)
  }
  let start = editor.cursor
  while (start > 0 && !isBlank(editor.text[start - 1])) start--
  const word = editor.text.slice(start, editor.cursor)
  const before = editor.text.slice(0, start)
  const isCommand = start === 0 && word.startsWith("/")
  // A nick is completed from its first letters, or from nothing as the first argument of /msg.
  const isNick = !isCommand && (word !== "" || /^\/msg[ \t]+$/i.test(before))
  if (!isCommand && !isNick) return editor
  const candidates = (isCommand ? completions.commands : completions.nicks()).filter((name) =>
    startsWithIgnoringCase(name, word)
  )
  if (candidates.length === 0) return editor
  const suffix = isCommand || start > 0 ? " " : ": "
  return replaceWord(editor, { start, candidates, index: 0, suffix }, editor.cursor)
}

const edit = (editor: LineEditor, text: string, cursor: number) =>
  [edited(editor, text, cursor), Action.Edited()] as const

const move = (editor: LineEditor, cursor: number) => [moved(editor, cursor), Action.Edited()] as const

/** The editor after `key`, and what the caller has to do. */
export const press = (
  editor: LineEditor,
  key: Key,
  completions: Completions
): readonly [LineEditor, Action] => {
  const { cursor, text } = editor
  switch (key._tag) {
    case "Insert":
      return edit(editor, text.slice(0, cursor) + key.text + text.slice(cursor), cursor + key.text.length)
    case "Backspace": {
      const from = DisplayWidth.previousBoundary(text, cursor)
      return edit(editor, text.slice(0, from) + text.slice(cursor), from)
    }
    case "Delete":
      return edit(editor, text.slice(0, cursor) + text.slice(DisplayWidth.nextBoundary(text, cursor)), cursor)
    case "Left":
      return move(editor, DisplayWidth.previousBoundary(text, cursor))
    case "Right":
      return move(editor, DisplayWidth.nextBoundary(text, cursor))
    case "WordLeft":
      return move(editor, wordStart(text, cursor))
    case "WordRight":
      return move(editor, wordEnd(text, cursor))
    case "Home":
      return move(editor, 0)
    case "End":
      return move(editor, text.length)
    case "Up":
      return [editor.recall > 0 ? recall(editor, editor.recall - 1) : editor, Action.Edited()]
    case "Down":
      return [editor.recall < editor.history.length ? recall(editor, editor.recall + 1) : editor, Action.Edited()]
    case "Tab":
      return [complete(editor, completions), Action.Edited()]
    case "DeleteToStart":
      return edit(editor, text.slice(cursor), 0)
    case "DeleteToEnd":
      return edit(editor, text.slice(0, cursor), cursor)
    case "DeleteWord": {
      const from = wordStart(text, cursor)
      return edit(editor, text.slice(0, from) + text.slice(cursor), from)
    }
    case "Enter":
      return text.trim() === ""
        ? edit(editor, "", 0)
        : [submitted(editor), Action.Submit({ line: text })]
    case "Interrupt":
      return [editor, Action.Quit()]
    case "EndOfInput":
      // Ctrl-D: leaves on an empty line, deletes like Delete otherwise.
      return text === "" ? [editor, Action.Quit()] : press(editor, Key.Delete(), completions)
    case "Redraw":
      return [moved(editor, cursor), Action.ClearScreen()]
  }
}
