import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import {
  AlreadyInRoom,
  DisconnectReason,
  InvalidNick,
  InvalidRoom,
  LineTooLong,
  Nick,
  NickTaken,
  NoSuchNick,
  RoomName,
  UnknownCommand,
  Usage
} from "../src/domain/Domain.js"
import * as Reply from "../src/protocol/line/LineProtocol.js"
import { hasControl } from "./support/Protocol.js"

const codePoints = (from: number, to: number): Array<string> =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i))

describe("Reply.clean", () => {
  it("removes every C0 control character except TAB", () => {
    for (const c of codePoints(0x00, 0x1f)) {
      const expected = c === "\t" ? `a${c}b` : "ab"
      assert.strictEqual(Reply.clean(`a${c}b`), expected, `U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`)
    }
  })

  it("removes DEL and every C1 control character", () => {
    for (const c of codePoints(0x7f, 0x9f)) {
      assert.strictEqual(Reply.clean(`a${c}b`), "ab", `U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`)
    }
  })

  it("removes ESC, so terminal escape sequences lose their power", () => {
    assert.strictEqual(Reply.clean("\u001b[31mred\u001b[0m"), "[31mred[0m")
    assert.strictEqual(Reply.clean("\u009b31mred"), "31mred")
    assert.strictEqual(Reply.clean("bell\u0007 and nul\u0000"), "bell and nul")
  })

  it("keeps the characters just outside the control ranges", () => {
    assert.strictEqual(Reply.clean(" ~\u00a0\u00a1x"), " ~\u00a0\u00a1x")
  })

  it("trims trailing white space, Unicode white space included", () => {
    assert.strictEqual(Reply.clean("hello   "), "hello")
    assert.strictEqual(Reply.clean("hello\t \t"), "hello")
    assert.strictEqual(Reply.clean("hello\u00a0"), "hello")
    assert.strictEqual(Reply.clean("hello\u3000"), "hello")
    assert.strictEqual(Reply.clean("hello\u2003\u2009\u202f\u205f\u1680\u2028\u2029"), "hello")
    assert.strictEqual(Reply.clean("hello \u00a0\u3000\t "), "hello")
  })

  it("trims white space that control characters were hiding behind", () => {
    assert.strictEqual(Reply.clean("hello \u0001"), "hello")
    assert.strictEqual(Reply.clean("hello\r"), "hello")
    assert.strictEqual(Reply.clean("hello \u001b \u0085"), "hello")
  })

  it("keeps leading and inner white space", () => {
    assert.strictEqual(Reply.clean("  indented"), "  indented")
    assert.strictEqual(Reply.clean("\tTAB first"), "\tTAB first")
    assert.strictEqual(Reply.clean("\u3000full-width"), "\u3000full-width")
    assert.strictEqual(Reply.clean("a  \t b"), "a  \t b")
  })

  it("returns an empty string for a line of only white space and controls", () => {
    assert.strictEqual(Reply.clean(""), "")
    assert.strictEqual(Reply.clean("   "), "")
    assert.strictEqual(Reply.clean("\t\u0000\u001b\u00a0\u3000"), "")
  })

  it("keeps emoji, CJK and combining marks", () => {
    assert.strictEqual(Reply.clean("😀 👩‍👩‍👧 🇫🇷"), "😀 👩‍👩‍👧 🇫🇷")
    assert.strictEqual(Reply.clean("日本語 中文 한국어"), "日本語 中文 한국어")
    assert.strictEqual(Reply.clean("e\u0301 n\u0303"), "e\u0301 n\u0303")
    assert.strictEqual(Reply.clean("e\u0301"), "e\u0301")
  })

  it("keeps U+FEFF in the middle and at the end", () => {
    assert.strictEqual(Reply.clean("a\ufeffb"), "a\ufeffb")
    assert.strictEqual(Reply.clean("ab\ufeff"), "ab\ufeff")
    assert.strictEqual(Reply.clean("\ufeffab"), "\ufeffab")
  })

  it("keeps zero-width characters that are not white space", () => {
    assert.strictEqual(Reply.clean("a\u200b"), "a\u200b")
    assert.strictEqual(Reply.clean("a\u200d"), "a\u200d")
  })

  it("is idempotent on examples", () => {
    const samples = [
      "hello \u0001 \u00a0",
      "\u001b[2J\u001b[H clear",
      "x \u0085\u00a0",
      "  lead\ttab\t",
      "😀\u3000\u0000\u3000",
      "\ufeff\ufeff"
    ]
    for (const sample of samples) {
      const once = Reply.clean(sample)
      assert.strictEqual(Reply.clean(once), once, JSON.stringify(sample))
    }
  })

  it.prop(
    "is idempotent and leaves no control characters or trailing white space",
    [FastCheck.string({ unit: "binary", maxLength: 40 })],
    ([text]) => {
      const once = Reply.clean(text)
      assert.strictEqual(Reply.clean(once), once)
      assert.isFalse(hasControl(once))
      assert.isFalse(/\p{White_Space}$/u.test(once))
    },
    { fastCheck: { seed: 20240601, numRuns: 500 } }
  )

  it.prop(
    "changes nothing in text without controls and ending in a non-space",
    [FastCheck.string({ unit: "grapheme", maxLength: 20 }).map((s) => `${s}x`)],
    ([text]) => {
      if (!hasControl(text)) assert.strictEqual(Reply.clean(text), text)
    },
    { fastCheck: { seed: 20240601, numRuns: 500 } }
  )
})

describe("Reply line kinds", () => {
  const alice = Nick("alice")
  const bob = Nick("bob")

  it("room message: <NICK> TEXT", () => {
    assert.strictEqual(Reply.roomMessage(alice, "hello"), "<alice> hello\n")
  })

  it("action: * NICK TEXT", () => {
    assert.strictEqual(Reply.action(alice, "waves"), "* alice waves\n")
  })

  it("private message received: [pm] <NICK> TEXT", () => {
    assert.strictEqual(Reply.privateReceived(bob, "psst"), "[pm] <bob> psst\n")
  })

  it("private message sent: [pm -> NICK] TEXT", () => {
    assert.strictEqual(Reply.privateSent(bob, "psst"), "[pm -> bob] psst\n")
  })

  it("notice: *** TEXT", () => {
    assert.strictEqual(Reply.notice("bob joined #lobby"), "*** bob joined #lobby\n")
  })

  it("error: ! TEXT", () => {
    assert.strictEqual(Reply.error("nick alice is taken"), "! nick alice is taken\n")
  })

  it("keeps the text as given, / included", () => {
    assert.strictEqual(Reply.roomMessage(alice, "/text"), "<alice> /text\n")
    assert.strictEqual(Reply.roomMessage(alice, "  a\tb"), "<alice>   a\tb\n")
  })
})

describe("Reply notices", () => {
  const lobby = RoomName("lobby")

  it("welcome names the assigned nick in its first line", () => {
    assert.strictEqual(
      Reply.welcome(Nick("guest-1"), lobby, 3),
      "*** welcome to chat, you are guest-1 in #lobby (3 here)\n"
    )
  })

  it("join, leave, rename and list notices", () => {
    assert.strictEqual(Reply.memberJoined(Nick("bob"), lobby), "*** bob joined #lobby\n")
    assert.strictEqual(Reply.memberLeft(Nick("bob"), lobby, "quit"), "*** bob left #lobby (quit)\n")
    assert.strictEqual(
      Reply.memberLeft(Nick("bob"), lobby, Reply.movedTo(RoomName("dev"))),
      "*** bob left #lobby (joined #dev)\n"
    )
    assert.strictEqual(
      Reply.joinedRoom(RoomName("dev"), [Nick("a"), Nick("b"), Nick("c")]),
      "*** joined #dev (3 here: a, b, c)\n"
    )
    assert.strictEqual(Reply.youAreNow(Nick("alice")), "*** you are now alice\n")
    assert.strictEqual(Reply.renamed(Nick("guest-1"), Nick("alice")), "*** guest-1 is now alice\n")
    assert.strictEqual(
      Reply.roomList([[lobby, 3], [RoomName("dev"), 1]]),
      "*** rooms: #lobby (3), #dev (1)\n"
    )
    assert.strictEqual(
      Reply.whoList(lobby, [Nick("alice"), Nick("bob"), Nick("guest-3")]),
      "*** in #lobby: alice, bob, guest-3\n"
    )
    assert.strictEqual(Reply.bye, "*** bye\n")
    assert.strictEqual(Reply.idleDisconnect("10m"), "*** disconnected: idle for 10m\n")
    assert.strictEqual(Reply.shuttingDown, "*** server shutting down\n")
    assert.strictEqual(Reply.serverFull, "! server full\n")
  })

  it("leave reasons", () => {
    assert.strictEqual(Reply.leaveReason(DisconnectReason.Quit({ message: undefined })), "quit")
    assert.strictEqual(Reply.leaveReason(DisconnectReason.Quit({ message: "gone fishing" })), "quit: gone fishing")
    assert.strictEqual(Reply.leaveReason(DisconnectReason.Idle()), "idle")
    assert.strictEqual(Reply.leaveReason(DisconnectReason.TooSlow()), "too slow")
    assert.strictEqual(Reply.leaveReason(DisconnectReason.Closed()), "connection closed")
  })

  it("help has one notice per command, each starting with *** and naming its syntax", () => {
    for (const line of Reply.help) {
      assert.isTrue(line.startsWith("*** "), JSON.stringify(line))
      assert.isTrue(line.endsWith("\n"), JSON.stringify(line))
      assert.strictEqual(line.indexOf("\n"), line.length - 1, JSON.stringify(line))
    }
    const syntaxes = [
      "/nick NAME",
      "/join ROOM",
      "/rooms",
      "/who",
      "/msg NICK TEXT",
      "/me TEXT",
      "/quit [REASON]",
      "/help"
    ]
    for (const syntax of syntaxes) {
      assert.isTrue(
        Reply.help.some((line) => line.startsWith(`*** ${syntax} `)),
        `help names ${syntax}`
      )
    }
  })

  it("every rendered line is exactly one line ending in \\n", () => {
    const lines = [
      Reply.helpHint,
      Reply.bye,
      Reply.shuttingDown,
      Reply.serverFull,
      Reply.welcome(Nick("guest-1"), RoomName("lobby"), 1)
    ]
    for (const line of lines) {
      assert.strictEqual(line.indexOf("\n"), line.length - 1, JSON.stringify(line))
    }
    assert.isTrue(Reply.helpHint.startsWith("*** "))
  })
})

describe("Reply.userError", () => {
  it("unknown command", () => {
    assert.strictEqual(
      Reply.userError(new UnknownCommand({ command: "/foo" })),
      "! unknown command /foo (try /help)\n"
    )
  })

  it("usage lines", () => {
    assert.strictEqual(Reply.userError(new Usage({ usage: Reply.usage.msg })), "! usage: /msg NICK TEXT\n")
    assert.strictEqual(Reply.userError(new Usage({ usage: Reply.usage.nick })), "! usage: /nick NAME\n")
    assert.strictEqual(Reply.userError(new Usage({ usage: Reply.usage.join })), "! usage: /join ROOM\n")
    assert.strictEqual(Reply.userError(new Usage({ usage: Reply.usage.me })), "! usage: /me TEXT\n")
  })

  it("invalid nick", () => {
    assert.strictEqual(
      Reply.userError(new InvalidNick({ input: "9lives" })),
      "! invalid nick \"9lives\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
    )
  })

  it("nick taken", () => {
    assert.strictEqual(Reply.userError(new NickTaken({ nick: Nick("alice") })), "! nick alice is taken\n")
  })

  it("no such nick", () => {
    assert.strictEqual(Reply.userError(new NoSuchNick({ nick: "bob" })), "! no such nick bob\n")
  })

  it("invalid room name", () => {
    assert.strictEqual(Reply.userError(new InvalidRoom({ input: "a b" })), "! invalid room name \"a b\"\n")
  })

  it("already in the room", () => {
    assert.strictEqual(
      Reply.userError(new AlreadyInRoom({ room: RoomName("lobby") })),
      "! you are already in #lobby\n"
    )
  })

  it("line too long", () => {
    assert.strictEqual(Reply.userError(new LineTooLong({ maxBytes: 4096 })), "! line too long (max 4096 bytes)\n")
  })
})
