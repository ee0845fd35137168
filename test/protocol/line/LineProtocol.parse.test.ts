/**
 * How the line protocol reads a typed line (PROTOCOL.md, "Commands"): a
 * room message, a command, or the user's mistake as its `!` line.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import type { Command } from "../../../src/domain/Command.js"
import { Command as C } from "../../../src/domain/Command.js"
import type { UserError } from "../../../src/domain/Domain.js"
import { Nick, RoomName } from "../../../src/domain/Domain.js"
import * as LineProtocol from "../../../src/protocol/line/LineProtocol.js"

/** The command a line parses to; fails the test if it is a mistake. */
const ok = (line: string): Command =>
  Either.getOrThrowWith(
    LineProtocol.parseCommand(line),
    (error) => new Error(`expected ${JSON.stringify(line)} to parse, got ${error._tag}`)
  )

/** The `!` line a mistaken line gets; fails the test if it parses. */
const rejected = (line: string): string =>
  LineProtocol.userError(
    Either.getOrThrowWith(
      Either.flip(LineProtocol.parseCommand(line)),
      (command) => new Error(`expected ${JSON.stringify(line)} to be rejected, got ${command._tag}`)
    )
  )

const error = (line: string): UserError =>
  Either.getOrThrowWith(
    Either.flip(LineProtocol.parseCommand(line)),
    () => new Error(`expected ${line} to be rejected`)
  )

describe("LineProtocol.parseCommand", () => {
  describe("room messages", () => {
    it("takes a line not starting with / as a room message, unchanged", () => {
      assert.deepStrictEqual(ok("hello"), C.Say({ text: "hello" }))
      assert.deepStrictEqual(ok("  indented"), C.Say({ text: "  indented" }))
      assert.deepStrictEqual(ok("a/b"), C.Say({ text: "a/b" }))
      assert.deepStrictEqual(ok("héllo 😀 日本"), C.Say({ text: "héllo 😀 日本" }))
      assert.deepStrictEqual(ok(" /nick x"), C.Say({ text: " /nick x" }))
    })

    it("sends //text as the room message /text", () => {
      assert.deepStrictEqual(ok("//text"), C.Say({ text: "/text" }))
      assert.deepStrictEqual(ok("//nick alice"), C.Say({ text: "/nick alice" }))
      assert.deepStrictEqual(ok("//"), C.Say({ text: "/" }))
      assert.deepStrictEqual(ok("///"), C.Say({ text: "//" }))
    })
  })

  describe("each command", () => {
    it("/nick NAME", () => {
      assert.deepStrictEqual(ok("/nick alice"), C.Rename({ nick: Nick("alice") }))
    })

    it("/join ROOM, with or without #", () => {
      assert.deepStrictEqual(ok("/join dev"), C.Join({ room: RoomName("dev"), alone: true }))
      assert.deepStrictEqual(ok("/join #dev"), C.Join({ room: RoomName("dev"), alone: true }))
      assert.deepStrictEqual(ok("/join #dev"), ok("/join dev"))
    })

    it("/join keeps the case it was given", () => {
      assert.deepStrictEqual(ok("/join DevOps"), C.Join({ room: RoomName("DevOps"), alone: true }))
    })

    it("/rooms", () => {
      assert.deepStrictEqual(ok("/rooms"), C.ListRooms())
    })

    it("/who", () => {
      assert.deepStrictEqual(ok("/who"), C.Who({}))
    })

    it("/msg NICK TEXT, the text being the whole rest of the line", () => {
      assert.deepStrictEqual(ok("/msg bob hi"), C.Whisper({ to: "bob", text: "hi" }))
      assert.deepStrictEqual(ok("/msg bob hi there  you"), C.Whisper({ to: "bob", text: "hi there  you" }))
      assert.deepStrictEqual(ok("/msg BOB hi"), C.Whisper({ to: "BOB", text: "hi" }))
    })

    it("/me TEXT", () => {
      assert.deepStrictEqual(ok("/me waves"), C.Act({ text: "waves" }))
      assert.deepStrictEqual(ok("/me waves at  everyone"), C.Act({ text: "waves at  everyone" }))
    })

    it("/quit with and without a reason", () => {
      assert.deepStrictEqual(ok("/quit"), C.Quit({ message: undefined }))
      assert.deepStrictEqual(ok("/quit gone fishing"), C.Quit({ message: "gone fishing" }))
    })

    it("/help", () => {
      assert.deepStrictEqual(ok("/help"), C.Help())
    })
  })

  describe("command names", () => {
    it("are case-insensitive", () => {
      assert.deepStrictEqual(ok("/NICK alice"), C.Rename({ nick: Nick("alice") }))
      assert.deepStrictEqual(ok("/Join dev"), C.Join({ room: RoomName("dev"), alone: true }))
      assert.deepStrictEqual(ok("/ROOMS"), C.ListRooms())
      assert.deepStrictEqual(ok("/WhO"), C.Who({}))
      assert.deepStrictEqual(ok("/MSG bob hi"), C.Whisper({ to: "bob", text: "hi" }))
      assert.deepStrictEqual(ok("/ME waves"), C.Act({ text: "waves" }))
      assert.deepStrictEqual(ok("/QUIT bye now"), C.Quit({ message: "bye now" }))
      assert.deepStrictEqual(ok("/HELP"), C.Help())
    })

    it("reject an unknown command, naming it as typed", () => {
      assert.strictEqual(rejected("/foo"), "! unknown command /foo (try /help)\n")
      assert.strictEqual(rejected("/FOO bar baz"), "! unknown command /FOO (try /help)\n")
      assert.strictEqual(rejected("/nickname alice"), "! unknown command /nickname (try /help)\n")
      assert.strictEqual(error("/foo")._tag, "UnknownCommand")
    })

    it("reject / alone as an unknown command /", () => {
      assert.strictEqual(rejected("/"), "! unknown command / (try /help)\n")
      assert.strictEqual(rejected("/ nick alice"), "! unknown command / (try /help)\n")
    })
  })

  describe("usage errors", () => {
    it("/nick without a name", () => {
      assert.strictEqual(rejected("/nick"), "! usage: /nick NAME\n")
    })

    it("/join without a room", () => {
      assert.strictEqual(rejected("/join"), "! usage: /join ROOM\n")
    })

    it("/me without text", () => {
      assert.strictEqual(rejected("/me"), "! usage: /me TEXT\n")
    })

    it("/msg without a nick, and with a nick but no text", () => {
      assert.strictEqual(rejected("/msg"), "! usage: /msg NICK TEXT\n")
      assert.strictEqual(rejected("/msg bob"), "! usage: /msg NICK TEXT\n")
      assert.strictEqual(rejected("/MSG bob"), "! usage: /msg NICK TEXT\n")
    })
  })

  describe("nicks", () => {
    it("take the whole rest of the line, so /nick a b is invalid", () => {
      assert.strictEqual(
        rejected("/nick a b"),
        "! invalid nick \"a b\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
      )
      const e = error("/nick a b")
      assert.strictEqual(e._tag, "InvalidNick")
      assert.strictEqual(e._tag === "InvalidNick" ? e.input : undefined, "a b")
    })

    it("accept 24 characters and reject 25", () => {
      const n24 = `a${"b".repeat(23)}`
      const n25 = `a${"b".repeat(24)}`
      assert.deepStrictEqual(ok(`/nick ${n24}`), C.Rename({ nick: Nick(n24) }))
      assert.strictEqual(
        rejected(`/nick ${n25}`),
        `! invalid nick "${n25}" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n`
      )
    })

    it("accept one letter, digits, _ and - after the first letter", () => {
      assert.deepStrictEqual(ok("/nick a"), C.Rename({ nick: Nick("a") }))
      assert.deepStrictEqual(ok("/nick Z_9-x"), C.Rename({ nick: Nick("Z_9-x") }))
      assert.deepStrictEqual(ok("/nick guest-3"), C.Rename({ nick: Nick("guest-3") }))
    })

    it("reject a nick starting with a digit, _ or -", () => {
      assert.strictEqual(
        rejected("/nick 9lives"),
        "! invalid nick \"9lives\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
      )
      assert.strictEqual(
        rejected("/nick _x"),
        "! invalid nick \"_x\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
      )
      assert.strictEqual(
        rejected("/nick -x"),
        "! invalid nick \"-x\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
      )
    })

    it("reject characters outside A-Z a-z 0-9 _ -", () => {
      assert.strictEqual(
        rejected("/nick émile"),
        "! invalid nick \"émile\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
      )
      assert.strictEqual(
        rejected("/nick a.b"),
        "! invalid nick \"a.b\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
      )
    })
  })

  describe("rooms", () => {
    it("take the whole rest of the line, so /join a b is invalid", () => {
      assert.strictEqual(rejected("/join a b"), "! invalid room name \"a b\"\n")
    })

    it("accept 32 characters and reject 33", () => {
      const r32 = "r".repeat(32)
      const r33 = "r".repeat(33)
      assert.deepStrictEqual(ok(`/join ${r32}`), C.Join({ room: RoomName(r32), alone: true }))
      assert.deepStrictEqual(ok(`/join #${r32}`), C.Join({ room: RoomName(r32), alone: true }))
      assert.strictEqual(rejected(`/join ${r33}`), `! invalid room name "${r33}"\n`)
    })

    it("may start with a digit, _ or -", () => {
      assert.deepStrictEqual(ok("/join 42"), C.Join({ room: RoomName("42"), alone: true }))
      assert.deepStrictEqual(ok("/join _-x"), C.Join({ room: RoomName("_-x"), alone: true }))
    })

    it("reject # alone and a second #", () => {
      assert.strictEqual(rejected("/join #"), "! invalid room name \"#\"\n")
      assert.strictEqual(rejected("/join ##dev"), "! invalid room name \"##dev\"\n")
    })
  })

  describe("separators", () => {
    it("accept tabs between the command and its arguments", () => {
      assert.deepStrictEqual(ok("/nick\talice"), C.Rename({ nick: Nick("alice") }))
      assert.deepStrictEqual(ok("/join\t#dev"), C.Join({ room: RoomName("dev"), alone: true }))
      assert.deepStrictEqual(ok("/msg\tbob\thi"), C.Whisper({ to: "bob", text: "hi" }))
      assert.deepStrictEqual(ok("/me\twaves"), C.Act({ text: "waves" }))
      assert.deepStrictEqual(ok("/quit\tgone fishing"), C.Quit({ message: "gone fishing" }))
      assert.deepStrictEqual(ok("/who\t"), C.Who({}))
    })

    it("accept several blanks between words", () => {
      assert.deepStrictEqual(ok("/nick  \t alice"), C.Rename({ nick: Nick("alice") }))
      assert.deepStrictEqual(ok("/msg   bob \t hi\tthere"), C.Whisper({ to: "bob", text: "hi\tthere" }))
    })

    it("reject a nick holding a tab", () => {
      assert.strictEqual(error("/nick a\tb")._tag, "InvalidNick")
    })
  })
})

describe("LineProtocol.isQuit", () => {
  it("is /quit exactly when the server will read the line as /quit", () => {
    for (const line of ["/quit", "/QUIT", "/quit off to lunch", "/quit\u0007 bye"]) {
      assert.isTrue(LineProtocol.isQuit(line), JSON.stringify(line))
    }
    for (const line of ["/quitter", "quit", "  /quit", "//quit", "/quit\u00a0bye", "/msg bob /quit"]) {
      assert.isFalse(LineProtocol.isQuit(line), JSON.stringify(line))
    }
  })
})

describe("LineProtocol.parse, a line as received", () => {
  it("cleans the line before reading it", () => {
    assert.deepStrictEqual(LineProtocol.parse("hel\u0007lo \r"), Either.right(C.Say({ text: "hello" })))
    assert.deepStrictEqual(
      LineProtocol.parse("/nick\u001b alice\u00a0"),
      Either.right(C.Rename({ nick: Nick("alice") }))
    )
  })

  it("ignores a line that is blank once cleaned", () => {
    assert.isUndefined(LineProtocol.parse(""))
    assert.isUndefined(LineProtocol.parse(" \t\u0000\u001b\u3000"))
  })
})
