/**
 * One IRC client's session, read frame by frame without a server: what it
 * answers itself, when it registers, and which commands go to the hub.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
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

  it("a QUIT or NICK repeated once per shared room is shown once", () => {
    const s = session()
    const written: Array<string> = []
    const sink = s.sink!({ write: (text) => written.push(text), close: () => {} })
    const quit = ":bob!bob@chat QUIT :Quit: bye\r\n"
    sink.write(quit, 1)
    sink.write(quit, 1)
    sink.write(":bob!bob@chat PRIVMSG #a :x\r\n", 1)
    sink.write(":bob!bob@chat PRIVMSG #a :x\r\n", 1)
    assert.deepStrictEqual(written.length, 3)
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

describe("answers reshaped by the session (WHOX, LIST filters, NAMES of several channels)", () => {
  const registered = () => {
    const s = session()
    read(s, "NICK me")
    read(s, "USER me 0 * :Me")
    s.registered!("me" as never)
    const written: Array<[string, number]> = []
    const sink = s.sink!({ write: (text, count) => written.push([text, count]), close: () => {} })
    return { s, sink, written }
  }

  it("several answers in one write are told apart by their ends, a JOIN's names included", () => {
    const { s, sink, written } = registered()
    read(s, "WHO bob %nt,1")
    read(s, "JOIN #c")
    read(s, "NAMES #a,#b")
    read(s, "LIST >1")
    const text = [
      ":test.irc 352 me * bob chat test.irc bob H :0 Bob",
      ":test.irc 315 me bob :End of /WHO list",
      ":me!me@chat JOIN #c",
      ":test.irc 353 me = #c :@me",
      ":test.irc 366 me #c :End of /NAMES list",
      ":test.irc 353 me = #a :x",
      ":test.irc 366 me #a :End of /NAMES list",
      ":test.irc 353 me = #b :y",
      ":test.irc 366 me #b :End of /NAMES list",
      ":test.irc 321 me Channel :Users  Name",
      ":test.irc 322 me #a 1 :",
      ":test.irc 322 me #b 2 :",
      ":test.irc 323 me :End of /LIST"
    ].map((l) => `${l}\r\n`).join("")
    sink.write(text, 13)
    assert.deepStrictEqual(written, [[
      [
        ":test.irc 354 me 1 bob",
        ":test.irc 315 me bob :End of /WHO list",
        ":me!me@chat JOIN #c",
        ":test.irc 353 me = #c :@me",
        ":test.irc 366 me #c :End of /NAMES list",
        ":test.irc 353 me = #a :x",
        ":test.irc 353 me = #b :y",
        ":test.irc 366 me #a,#b :End of /NAMES list",
        ":test.irc 321 me Channel :Users  Name",
        ":test.irc 322 me #b 2 :",
        ":test.irc 323 me :End of /LIST"
      ].map((l) => `${l}\r\n`).join(""),
      11
    ]])
    // Nothing awaited any more: a plain WHO answer passes as it is.
    sink.write(":test.irc 315 me x :End of /WHO list\r\n", 1)
    assert.deepStrictEqual(written[1], [":test.irc 315 me x :End of /WHO list\r\n", 1])
  })

  it("past 32 awaited answers, 263: try again", () => {
    const { s } = registered()
    for (let i = 0; i < 32; i++) assert.strictEqual(read(s, "LIST >0")[0]?._tag, "Input")
    assert.include(localText(read(s, "LIST >0")), " 263 me LIST :")
  })
})
