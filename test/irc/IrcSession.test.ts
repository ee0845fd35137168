/**
 * One IRC client's session, read frame by frame without a server: what it
 * answers itself, when it registers, and which commands go to the hub.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { Command } from "../../src/domain/Command.js"
import { Frame } from "../../src/protocol/Frame.js"
import * as IrcRender from "../../src/protocol/irc/IrcRender.js"
import * as IrcSession from "../../src/protocol/irc/IrcSession.js"
import type { Step } from "../../src/protocol/WireProtocol.js"

const session = () => IrcSession.make(IrcRender.make("test.irc"))
const read = (s: ReturnType<typeof session>, text: string): ReadonlyArray<Step> => s.read(Frame.Line({ text }))
const localText = (steps: ReadonlyArray<Step>): string =>
  steps.map((step) => step._tag === "Local" ? step.rendered.text : "").join("")

describe("registration", () => {
  it("registers once NICK and USER are known and CAP negotiation is over", () => {
    const s = session()
    assert.include(localText(read(s, "CAP LS 302")), "CAP * LS :multi-prefix userhost-in-names")
    assert.deepStrictEqual(read(s, "NICK alice"), [])
    assert.deepStrictEqual(read(s, "USER al 0 * :Alice Liddell"), [])
    const steps = read(s, "CAP END")
    assert.deepStrictEqual(steps, [{
      _tag: "Register",
      nick: "alice" as never,
      info: { user: "al", realname: "Alice Liddell" }
    }])
  })

  it("a taken nick is 433 and another NICK registers", () => {
    const s = session()
    read(s, "NICK alice")
    assert.strictEqual(read(s, "USER a 0 * :A")[0]?._tag, "Register")
    assert.strictEqual(
      s.nickTaken({ _tag: "NickTaken", nick: "alice" } as never).text,
      ":test.irc 433 alice alice :Nickname is already in use\r\n"
    )
    assert.strictEqual(read(s, "NICK alice2")[0]?._tag, "Register")
  })

  it("before registering: 451 for other commands, a local PONG, 461 for a short USER, 432 for a bad nick", () => {
    const s = session()
    assert.include(localText(read(s, "JOIN #a")), " 451 * :You have not registered")
    assert.strictEqual(localText(read(s, "PING x")), ":test.irc PONG test.irc :x\r\n")
    assert.include(localText(read(s, "USER a")), " 461 * USER ")
    assert.include(localText(read(s, "NICK 1a")), " 432 * 1a ")
    assert.strictEqual(read(s, "QUIT")[0]?._tag, "Close")
  })

  it("a CAP REQ is all or nothing", () => {
    const s = session()
    assert.include(localText(read(s, "CAP REQ :multi-prefix sasl")), "NAK :multi-prefix sasl")
    assert.include(localText(read(s, "CAP REQ :multi-prefix")), "ACK :multi-prefix")
    assert.include(localText(read(s, "CAP LIST")), "LIST :multi-prefix")
  })

  it("with userhost-in-names, NAMES shows nick!user@host", () => {
    const s = session()
    read(s, "CAP REQ :userhost-in-names")
    const written: Array<string> = []
    const sink = s.sink!({ write: (text) => written.push(text), close: () => {} })
    sink.write(":test.irc 353 alice = #a :alice bob\r\n:test.irc 366 alice #a :End of /NAMES list\r\n", 2)
    assert.deepStrictEqual(written, [
      ":test.irc 353 alice = #a :alice!alice@chat bob!bob@chat\r\n:test.irc 366 alice #a :End of /NAMES list\r\n"
    ])
  })
})

describe("once registered", () => {
  const registered = () => {
    const s = session()
    read(s, "NICK alice")
    read(s, "USER a 0 * :A")
    s.registered?.("alice" as never)
    return s
  }
  const commands = (steps: ReadonlyArray<Step>) =>
    steps.map((step) => step._tag === "Input" && Either.isRight(step.input) ? step.input.right._tag : step._tag)

  it("JOIN and PART several channels, messages to channels and nicks, CTCP ACTION", () => {
    const s = registered()
    assert.deepStrictEqual(commands(read(s, "JOIN #a,#b")), ["Join", "Join"])
    assert.deepStrictEqual(commands(read(s, "PRIVMSG #a,bob :hi")), ["Say", "Whisper"])
    assert.deepStrictEqual(commands(read(s, "PRIVMSG #a :\u0001ACTION waves\u0001")), ["Act"])
    // Other CTCP queries are not relayed.
    assert.deepStrictEqual(read(s, "PRIVMSG #a :\u0001VERSION\u0001"), [])
    assert.deepStrictEqual(commands(read(s, "PART #a,#b :bye")), ["Part", "Part"])
    // Not in #a any more: 404, and nothing at all for a NOTICE.
    assert.include(localText(read(s, "PRIVMSG #a :hi")), " 404 alice #a ")
    assert.deepStrictEqual(read(s, "NOTICE #a :hi"), [])
  })

  it("formatting codes go with their arguments, then every control character", () => {
    assert.strictEqual(
      IrcSession.cleanText("\u0002bold\u0002 \u000312,04red\u0003 \u0016rev\u000f\u0007"),
      "bold red rev"
    )
    assert.strictEqual(IrcSession.cleanText("\u00034colour"), "colour")
  })

  it("a line over 512 bytes is 417; an unknown command 421", () => {
    const s = registered()
    assert.include(localText(read(s, `PRIVMSG #a :${"x".repeat(520)}`)), " 417 alice ")
    assert.include(localText(s.read(Frame.TooLong())), " 417 alice ")
    assert.include(localText(read(s, "FROB")), " 421 alice FROB ")
  })
})

describe("how answers are shown, asked in the command (WHOX, LIST filters, NAMES of several channels)", () => {
  const registered = () => {
    const s = session()
    read(s, "NICK me")
    read(s, "USER me 0 * :Me")
    s.registered!("me" as never)
    return s
  }
  const commands = (steps: ReadonlyArray<Step>) =>
    steps.map((step) => step._tag === "Input" && Either.isRight(step.input) ? step.input.right : step._tag)

  it("the command carries the WHOX fields and token, the NAMES query, the LIST filter", () => {
    const s = registered()
    const format = { fields: "nt", token: "1" }
    assert.deepStrictEqual(commands(read(s, "WHO bob %nt,1")), [Command.Whois({ nick: "bob", brief: true, format })])
    assert.deepStrictEqual(commands(read(s, "WHO #a %nt,1")), [Command.Who({ room: "a" as never, full: true, format })])
    assert.deepStrictEqual(commands(read(s, "WHO b* %nt,1")), [Command.WhoMask({ mask: "b*", format })])
    // A token that is not 1 to 3 digits is 0, as WHOX allows.
    assert.deepStrictEqual(commands(read(s, "WHO #a %n,abcd")), [
      Command.Who({ room: "a" as never, full: true, format: { fields: "n", token: "0" } })
    ])
    assert.deepStrictEqual(commands(read(s, "NAMES #a,#b")), [
      Command.Who({ room: "a" as never, full: false, batch: { query: "#a,#b", last: false } }),
      Command.Who({ room: "b" as never, full: false, batch: { query: "#a,#b", last: true } })
    ])
    assert.deepStrictEqual(commands(read(s, "LIST >1")), [Command.ListFiltered({ filter: ">1" })])
    assert.deepStrictEqual(commands(read(s, "LIST")), [Command.ListRooms()])
  })

  it("the answers are rendered as asked: 354 lines, one end for several NAMES, only the rooms the filter keeps", () => {
    const words = IrcRender.make("test.irc")
    const format = { fields: "nt", token: "1" }
    const rendered = words.render.replies([
      { _tag: "WhoisInfo", nick: "bob", rooms: [], info: { user: "bob", realname: "Bob" }, brief: true, format },
      { _tag: "WhoList", room: "a" as never, members: ["x" as never], batch: { query: "#a,#b", last: false } },
      { _tag: "WhoList", room: "b" as never, members: ["y" as never], batch: { query: "#a,#b", last: true } },
      {
        _tag: "RoomList",
        rooms: [{ room: "a" as never, members: 1 }, { room: "b" as never, members: 2 }, {
          room: "bc" as never,
          members: 5
        }],
        filter: "#b*,!#bc,>1"
      }
    ], "me" as never)
    assert.deepStrictEqual(rendered, {
      text: [
        ":test.irc 354 me 1 bob",
        ":test.irc 315 me bob :End of /WHO list",
        ":test.irc 353 me = #a :x",
        ":test.irc 353 me = #b :y",
        ":test.irc 366 me #a,#b :End of /NAMES list",
        ":test.irc 321 me Channel :Users  Name",
        ":test.irc 322 me #b 2 :",
        ":test.irc 323 me :End of /LIST"
      ].map((l) => `${l}\r\n`).join(""),
      count: 8
    })
  })
})
