import { assert, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Command from "../src/domain/Command.js"
import { Nick, RoomName } from "../src/domain/Domain.js"
import * as Reply from "../src/protocol/line/LineProtocol.js"

const { Command: C } = Command

/** The command a line parses to; fails the test if it is a mistake. */
const ok = (line: string): Command.Command =>
  Either.getOrThrowWith(
    Command.parse(line),
    (error) => new Error(`expected ${JSON.stringify(line)} to parse, got ${error._tag}`)
  )

/** The `!` line a mistaken line gets; fails the test if it parses. */
const rejected = (line: string): string =>
  Reply.userError(
    Either.getOrThrowWith(
      Either.flip(Command.parse(line)),
      (command) => new Error(`expected ${JSON.stringify(line)} to be rejected, got ${command._tag}`)
    )
  )

const error = (line: string): Command.ParseError =>
  Either.getOrThrowWith(Either.flip(Command.parse(line)), () => new Error(`expected ${line} to be rejected`))

describe("Command.parse", () => {
  describe("room messages", () => {
    it("takes a line not starting with / as a room message, unchanged", () => {
      expect(ok("hello")).toEqual(C.Say({ text: "hello" }))
      expect(ok("  indented")).toEqual(C.Say({ text: "  indented" }))
      expect(ok("a/b")).toEqual(C.Say({ text: "a/b" }))
      expect(ok("héllo 😀 日本")).toEqual(C.Say({ text: "héllo 😀 日本" }))
      expect(ok(" /nick x")).toEqual(C.Say({ text: " /nick x" }))
    })

    it("sends //text as the room message /text", () => {
      expect(ok("//text")).toEqual(C.Say({ text: "/text" }))
      expect(ok("//nick alice")).toEqual(C.Say({ text: "/nick alice" }))
      expect(ok("//")).toEqual(C.Say({ text: "/" }))
      expect(ok("///")).toEqual(C.Say({ text: "//" }))
    })
  })

  describe("each command", () => {
    it("/nick NAME", () => {
      expect(ok("/nick alice")).toEqual(C.Rename({ nick: Nick("alice") }))
    })

    it("/join ROOM, with or without #", () => {
      expect(ok("/join dev")).toEqual(C.Join({ room: RoomName("dev") }))
      expect(ok("/join #dev")).toEqual(C.Join({ room: RoomName("dev") }))
      expect(ok("/join #dev")).toEqual(ok("/join dev"))
    })

    it("/join keeps the case it was given", () => {
      expect(ok("/join DevOps")).toEqual(C.Join({ room: RoomName("DevOps") }))
    })

    it("/rooms", () => {
      expect(ok("/rooms")).toEqual(C.ListRooms())
    })

    it("/who", () => {
      expect(ok("/who")).toEqual(C.Who())
    })

    it("/msg NICK TEXT, the text being the whole rest of the line", () => {
      expect(ok("/msg bob hi")).toEqual(C.Whisper({ to: "bob", text: "hi" }))
      expect(ok("/msg bob hi there  you")).toEqual(C.Whisper({ to: "bob", text: "hi there  you" }))
      expect(ok("/msg BOB hi")).toEqual(C.Whisper({ to: "BOB", text: "hi" }))
    })

    it("/me TEXT", () => {
      expect(ok("/me waves")).toEqual(C.Act({ text: "waves" }))
      expect(ok("/me waves at  everyone")).toEqual(C.Act({ text: "waves at  everyone" }))
    })

    it("/quit with and without a reason", () => {
      expect(ok("/quit")).toEqual(C.Quit({ message: undefined }))
      expect(ok("/quit gone fishing")).toEqual(C.Quit({ message: "gone fishing" }))
    })

    it("/help", () => {
      expect(ok("/help")).toEqual(C.Help())
    })
  })

  describe("command names", () => {
    it("are case-insensitive", () => {
      expect(ok("/NICK alice")).toEqual(C.Rename({ nick: Nick("alice") }))
      expect(ok("/Join dev")).toEqual(C.Join({ room: RoomName("dev") }))
      expect(ok("/ROOMS")).toEqual(C.ListRooms())
      expect(ok("/WhO")).toEqual(C.Who())
      expect(ok("/MSG bob hi")).toEqual(C.Whisper({ to: "bob", text: "hi" }))
      expect(ok("/ME waves")).toEqual(C.Act({ text: "waves" }))
      expect(ok("/QUIT bye now")).toEqual(C.Quit({ message: "bye now" }))
      expect(ok("/HELP")).toEqual(C.Help())
    })

    it("reject an unknown command, naming it as typed", () => {
      assert.strictEqual(rejected("/foo"), "! unknown command /foo (try /help)\n")
      assert.strictEqual(rejected("/FOO bar baz"), "! unknown command /FOO (try /help)\n")
      assert.strictEqual(rejected("/nickname alice"), "! unknown command /nickname (try /help)\n")
      expect(error("/foo")._tag).toBe("UnknownCommand")
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
      expect(ok(`/nick ${n24}`)).toEqual(C.Rename({ nick: Nick(n24) }))
      assert.strictEqual(
        rejected(`/nick ${n25}`),
        `! invalid nick "${n25}" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n`
      )
    })

    it("accept one letter, digits, _ and - after the first letter", () => {
      expect(ok("/nick a")).toEqual(C.Rename({ nick: Nick("a") }))
      expect(ok("/nick Z_9-x")).toEqual(C.Rename({ nick: Nick("Z_9-x") }))
      expect(ok("/nick guest-3")).toEqual(C.Rename({ nick: Nick("guest-3") }))
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
      expect(ok(`/join ${r32}`)).toEqual(C.Join({ room: RoomName(r32) }))
      expect(ok(`/join #${r32}`)).toEqual(C.Join({ room: RoomName(r32) }))
      assert.strictEqual(rejected(`/join ${r33}`), `! invalid room name "${r33}"\n`)
    })

    it("may start with a digit, _ or -", () => {
      expect(ok("/join 42")).toEqual(C.Join({ room: RoomName("42") }))
      expect(ok("/join _-x")).toEqual(C.Join({ room: RoomName("_-x") }))
    })

    it("reject # alone and a second #", () => {
      assert.strictEqual(rejected("/join #"), "! invalid room name \"#\"\n")
      assert.strictEqual(rejected("/join ##dev"), "! invalid room name \"##dev\"\n")
    })
  })

  describe("separators", () => {
    it("accept tabs between the command and its arguments", () => {
      expect(ok("/nick\talice")).toEqual(C.Rename({ nick: Nick("alice") }))
      expect(ok("/join\t#dev")).toEqual(C.Join({ room: RoomName("dev") }))
      expect(ok("/msg\tbob\thi")).toEqual(C.Whisper({ to: "bob", text: "hi" }))
      expect(ok("/me\twaves")).toEqual(C.Act({ text: "waves" }))
      expect(ok("/quit\tgone fishing")).toEqual(C.Quit({ message: "gone fishing" }))
      expect(ok("/who\t")).toEqual(C.Who())
    })

    it("accept several blanks between words", () => {
      expect(ok("/nick  \t alice")).toEqual(C.Rename({ nick: Nick("alice") }))
      expect(ok("/msg   bob \t hi\tthere")).toEqual(C.Whisper({ to: "bob", text: "hi\tthere" }))
    })

    it("reject a nick holding a tab", () => {
      assert.strictEqual(error("/nick a\tb")._tag, "InvalidNick")
    })
  })
})

describe("Command.isQuit", () => {
  it("is /quit exactly when the server will read the line as /quit", () => {
    for (const line of ["/quit", "/QUIT", "/quit off to lunch", "/quit\u0007 bye"]) {
      assert.isTrue(Command.isQuit(line), JSON.stringify(line))
    }
    for (const line of ["/quitter", "quit", "  /quit", "//quit", "/quit\u00a0bye", "/msg bob /quit"]) {
      assert.isFalse(Command.isQuit(line), JSON.stringify(line))
    }
  })
})
