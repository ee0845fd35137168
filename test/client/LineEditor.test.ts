import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import * as LineEditor from "../../src/client/LineEditor.js"

const { Action, Key } = LineEditor

const completions: LineEditor.Completions = {
  commands: ["/help", "/join", "/me", "/msg", "/nick", "/quit", "/rooms", "/who"],
  nicks: () => ["alice", "bob", "bobby", "carol"]
}

/** Presses `keys` in order; strings are typed one character at a time. */
const press = (editor: LineEditor.LineEditor, ...keys: Array<LineEditor.Key | string>) => {
  let state = editor
  let action: LineEditor.Action = Action.Edited()
  for (const key of keys) {
    const pressed = typeof key === "string" ? Array.from(key, (text) => Key.Insert({ text })) : [key]
    for (const k of pressed) [state, action] = LineEditor.press(state, k, completions)
  }
  return { editor: state, action }
}

/** The text with `|` where the cursor is. */
const shown = (editor: LineEditor.LineEditor): string =>
  `${editor.text.slice(0, editor.cursor)}|${editor.text.slice(editor.cursor)}`

const typed = (...keys: Array<LineEditor.Key | string>) => shown(press(LineEditor.empty, ...keys).editor)

describe("LineEditor editing", () => {
  it("inserts at the cursor", () => {
    assert.strictEqual(typed("helo", Key.Left(), "l"), "hell|o")
    assert.strictEqual(typed("world", Key.Home(), "hello "), "hello |world")
  })

  it("deletes before and at the cursor", () => {
    assert.strictEqual(typed("hello", Key.Backspace()), "hell|")
    assert.strictEqual(typed("hello", Key.Home(), Key.Delete()), "|ello")
    assert.strictEqual(typed(Key.Backspace(), Key.Delete()), "|")
  })

  it("moves and deletes whole characters: emoji, flags, combining accents, CJK", () => {
    assert.strictEqual(typed("a😀b", Key.Left(), Key.Left()), "a|😀b")
    assert.strictEqual(typed("a😀b", Key.Left(), Key.Backspace()), "a|b")
    assert.strictEqual(typed("🇫🇷👩‍💻", Key.Backspace()), "🇫🇷|")
    assert.strictEqual(typed("cafe\u0301!", Key.Left(), Key.Backspace()), "caf|!")
    assert.strictEqual(typed("日本語", Key.Home(), Key.Right(), Key.Delete()), "日|語")
  })

  it("kills to the start, to the end, and the word before the cursor", () => {
    assert.strictEqual(typed("hello big world", Key.WordLeft(), Key.DeleteToStart()), "|world")
    assert.strictEqual(typed("hello big world", Key.WordLeft(), Key.DeleteToEnd()), "hello big |")
    assert.strictEqual(typed("hello big world  ", Key.DeleteWord()), "hello big |")
    assert.strictEqual(typed("hello big world", Key.WordLeft(), Key.DeleteWord()), "hello |world")
  })

  it("moves by words, and to either end", () => {
    assert.strictEqual(typed("one two three", Key.WordLeft(), Key.WordLeft()), "one |two three")
    assert.strictEqual(typed("one two three", Key.Home(), Key.WordRight()), "one| two three")
    assert.strictEqual(typed("one two", Key.Home(), Key.End()), "one two|")
  })
})

describe("LineEditor submitting and leaving", () => {
  it("submits the line and starts an empty one", () => {
    const { action, editor } = press(LineEditor.empty, "hello", Key.Enter())
    assert.deepStrictEqual(action, Action.Submit({ line: "hello" }))
    assert.strictEqual(shown(editor), "|")
  })

  it("submits nothing for a blank line", () => {
    const { action, editor } = press(LineEditor.empty, "   ", Key.Enter())
    assert.deepStrictEqual(action, Action.Edited())
    assert.strictEqual(shown(editor), "|")
  })

  it("quits on Ctrl-C, and on Ctrl-D when the line is empty", () => {
    assert.deepStrictEqual(press(LineEditor.empty, "typing", Key.Interrupt()).action, Action.Quit())
    assert.deepStrictEqual(press(LineEditor.empty, Key.EndOfInput()).action, Action.Quit())
  })

  it("deletes the character at the cursor on Ctrl-D when the line is not empty", () => {
    const { action, editor } = press(LineEditor.empty, "abc", Key.Home(), Key.EndOfInput())
    assert.deepStrictEqual(action, Action.Edited())
    assert.strictEqual(shown(editor), "|bc")
  })

  it("asks for the screen to be cleared on Ctrl-L, keeping the line", () => {
    const { action, editor } = press(LineEditor.empty, "abc", Key.Redraw())
    assert.deepStrictEqual(action, Action.ClearScreen())
    assert.strictEqual(shown(editor), "abc|")
  })
})

describe("LineEditor history", () => {
  const sent = press(LineEditor.empty, "first", Key.Enter(), "second", Key.Enter(), "second", Key.Enter()).editor

  it("keeps submitted lines, not twice in a row", () => {
    assert.deepStrictEqual(sent.history, ["first", "second"])
  })

  it("goes back with up and forward with down, to the line being typed", () => {
    assert.strictEqual(shown(press(sent, "draft", Key.Up()).editor), "second|")
    assert.strictEqual(shown(press(sent, "draft", Key.Up(), Key.Up()).editor), "first|")
    assert.strictEqual(shown(press(sent, "draft", Key.Up(), Key.Up(), Key.Up()).editor), "first|")
    assert.strictEqual(shown(press(sent, "draft", Key.Up(), Key.Up(), Key.Down(), Key.Down()).editor), "draft|")
    assert.strictEqual(shown(press(sent, "draft", Key.Down()).editor), "draft|")
  })

  it("submits a recalled line, edited or not", () => {
    const { action, editor } = press(sent, Key.Up(), Key.Up(), "!", Key.Enter())
    assert.deepStrictEqual(action, Action.Submit({ line: "first!" }))
    assert.deepStrictEqual(editor.history, ["first", "second", "first!"])
  })

  it("forgets the oldest lines past its limit", () => {
    let editor = LineEditor.empty
    for (let i = 0; i < LineEditor.historyLimit + 5; i++) editor = press(editor, `line ${i}`, Key.Enter()).editor
    assert.strictEqual(editor.history.length, LineEditor.historyLimit)
    assert.strictEqual(editor.history[0], "line 5")
  })
})

describe("LineEditor Tab completion", () => {
  it("completes a command name at the start of the line", () => {
    assert.strictEqual(typed("/jo", Key.Tab()), "/join |")
    assert.strictEqual(typed("/J", Key.Tab()), "/join |")
  })

  it("completes a nick at the start of the line with a colon, elsewhere with a blank", () => {
    assert.strictEqual(typed("al", Key.Tab()), "alice: |")
    assert.strictEqual(typed("hi car", Key.Tab()), "hi carol |")
    assert.strictEqual(typed("hi CAR", Key.Tab()), "hi carol |")
  })

  it("completes the nick of /msg, from nothing too", () => {
    assert.strictEqual(typed("/msg b", Key.Tab()), "/msg bob |")
    assert.strictEqual(typed("/msg ", Key.Tab()), "/msg alice |")
  })

  it("cycles through the matches when pressed again", () => {
    assert.strictEqual(typed("hi b", Key.Tab()), "hi bob |")
    assert.strictEqual(typed("hi b", Key.Tab(), Key.Tab()), "hi bobby |")
    assert.strictEqual(typed("hi b", Key.Tab(), Key.Tab(), Key.Tab()), "hi bob |")
    assert.strictEqual(typed("/m", Key.Tab(), Key.Tab()), "/msg |")
  })

  it("stops cycling after any other key", () => {
    assert.strictEqual(typed("hi b", Key.Tab(), "x", Key.Tab()), "hi bob x|")
  })

  it("completes in the middle of a line without doubling the blank after it", () => {
    assert.strictEqual(typed("hi ca there", Key.WordLeft(), Key.Left(), Key.Tab()), "hi carol| there")
  })

  it("changes nothing when nothing matches, or there is no word to complete", () => {
    assert.strictEqual(typed("hi zed", Key.Tab()), "hi zed|")
    assert.strictEqual(typed("/zz", Key.Tab()), "/zz|")
    assert.strictEqual(typed(Key.Tab()), "|")
    assert.strictEqual(typed("hi ", Key.Tab()), "hi |")
  })
})

describe("LineEditor.keyOf", () => {
  const input = (name: string, text?: string, modifiers: { ctrl?: boolean; meta?: boolean } = {}) =>
    LineEditor.keyOf({
      input: Option.fromNullable(text),
      key: { name, ctrl: modifiers.ctrl ?? false, meta: modifiers.meta ?? false, shift: false }
    })

  it("maps the editing keys", () => {
    assert.deepStrictEqual(input("return", "\r"), Option.some(Key.Enter()))
    assert.deepStrictEqual(input("backspace", "\x7f"), Option.some(Key.Backspace()))
    assert.deepStrictEqual(input("up"), Option.some(Key.Up()))
    assert.deepStrictEqual(input("tab", "\t"), Option.some(Key.Tab()))
    assert.deepStrictEqual(input("u", "\x15", { ctrl: true }), Option.some(Key.DeleteToStart()))
    assert.deepStrictEqual(input("w", "\x17", { ctrl: true }), Option.some(Key.DeleteWord()))
    assert.deepStrictEqual(input("c", "\x03", { ctrl: true }), Option.some(Key.Interrupt()))
    assert.deepStrictEqual(input("d", "\x04", { ctrl: true }), Option.some(Key.EndOfInput()))
    assert.deepStrictEqual(input("b", undefined, { meta: true }), Option.some(Key.WordLeft()))
    assert.deepStrictEqual(input("left", undefined, { ctrl: true }), Option.some(Key.WordLeft()))
  })

  it("inserts printable text, emoji included", () => {
    assert.deepStrictEqual(input("a", "a"), Option.some(Key.Insert({ text: "a" })))
    assert.deepStrictEqual(input("", "😀"), Option.some(Key.Insert({ text: "😀" })))
  })

  it("ignores other keys and control characters", () => {
    assert.deepStrictEqual(input("f1"), Option.none())
    assert.deepStrictEqual(input("escape", "\x1b", { meta: true }), Option.none())
    assert.deepStrictEqual(input("z", "\x1a", { ctrl: true }), Option.none())
    assert.deepStrictEqual(input("", "\x1b[99~"), Option.none())
  })
})
