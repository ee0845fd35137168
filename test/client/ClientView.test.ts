import { assert, describe, it } from "@effect/vitest"
import { FastCheck, Option } from "effect"
import * as ClientView from "../../src/client/ClientView.js"
import * as StyledText from "../../src/client/StyledText.js"
import { Nick, NickTaken } from "../../src/domain/Domain.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

const { Received } = ClientView

/** The session after receiving `lines`, from the start. */
const after = (...lines: Array<string>): ClientView.Session =>
  lines.map(ClientView.classify).reduce(ClientView.track, ClientView.initial)

const alice = after("*** welcome to chat, you are guest-1 in #lobby (1 here)", "*** you are now alice")

describe("ClientView.classify", () => {
  it("tells the six kinds of line apart", () => {
    assert.deepStrictEqual(ClientView.classify("<bob> hi there"), Received.Message({ nick: "bob", text: "hi there" }))
    assert.deepStrictEqual(ClientView.classify("* bob waves"), Received.Action({ nick: "bob", text: "waves" }))
    assert.deepStrictEqual(
      ClientView.classify("[pm] <bob> psst"),
      Received.PrivateReceived({ from: "bob", text: "psst" })
    )
    assert.deepStrictEqual(ClientView.classify("[pm -> bob] psst"), Received.PrivateSent({ to: "bob", text: "psst" }))
    assert.deepStrictEqual(
      ClientView.classify("*** bob joined #lobby"),
      Received.Notice({
        text: "bob joined #lobby",
        fact: LineProtocol.NoticeFact.MemberJoined({ nick: "bob", room: "lobby" })
      })
    )
    assert.deepStrictEqual(
      ClientView.classify("! nick bob is taken"),
      Received.Error({ text: "nick bob is taken", fact: new NickTaken({ nick: Nick("bob") }) })
    )
  })

  it("keeps text that looks like another kind inside a message", () => {
    assert.deepStrictEqual(
      ClientView.classify("<bob> *** not a notice"),
      Received.Message({ nick: "bob", text: "*** not a notice" })
    )
    assert.deepStrictEqual(ClientView.classify("<bob> <eve> hi"), Received.Message({ nick: "bob", text: "<eve> hi" }))
    assert.deepStrictEqual(
      ClientView.classify("[pm] <bob> [pm] x"),
      Received.PrivateReceived({ from: "bob", text: "[pm] x" })
    )
  })

  it("calls anything else Other", () => {
    assert.deepStrictEqual(ClientView.classify("hello"), Received.Other({ text: "hello" }))
    assert.deepStrictEqual(ClientView.classify(""), Received.Other({ text: "" }))
  })
})

describe("ClientView.track", () => {
  it("learns nick and room from the welcome", () => {
    const session = after("*** welcome to chat, you are guest-3 in #lobby (3 here)")
    assert.deepStrictEqual(session.nick, Option.some("guest-3"))
    assert.deepStrictEqual(session.room, Option.some("lobby"))
  })

  it("follows /nick and /join", () => {
    assert.deepStrictEqual(alice.nick, Option.some("alice"))
    const joined = ClientView.track(alice, ClientView.classify("*** joined #dev (3 here: alice, bob, carol)"))
    assert.deepStrictEqual(joined.room, Option.some("dev"))
    assert.deepStrictEqual(joined.members, ["alice", "bob", "carol"])
  })

  it("takes the members from /who, and follows joins, leaves and renames", () => {
    const session = [
      "*** in #lobby: alice, bob, guest-2",
      "*** carol joined #lobby",
      "*** guest-2 is now dave",
      "*** bob left #lobby (quit: bye)"
    ].map(ClientView.classify).reduce(ClientView.track, alice)
    assert.deepStrictEqual([...session.members].sort(), ["alice", "carol", "dave"])
  })

  it("tells a member called `joined` from your own join", () => {
    const session = ClientView.track(alice, ClientView.classify("*** joined joined #lobby"))
    assert.deepStrictEqual(session.room, Option.some("lobby"))
    assert.isTrue(session.members.includes("joined"))
  })

  it("adds the nicks that speak, and the people you exchange private messages with", () => {
    const session = ["<eve> hi", "* frank waves", "[pm] <grace> psst", "[pm -> heidi] hello"]
      .map(ClientView.classify)
      .reduce(ClientView.track, alice)
    assert.deepStrictEqual(ClientView.completions(session), ["eve", "frank", "grace", "heidi"])
  })

  it("keeps your own nick out of completions, and each nick once whatever its case, as last seen", () => {
    const session = ["*** in #lobby: ALICE, Bob, carol", "<BOB> hi", "[pm] <bob> psst"]
      .map(ClientView.classify)
      .reduce(ClientView.track, alice)
    assert.deepStrictEqual(ClientView.completions(session), ["BOB", "carol"])
  })

  it("takes back a chosen nick after reconnecting, not a guest one", () => {
    assert.deepStrictEqual(ClientView.chosenNick(alice), Option.some("alice"))
    assert.deepStrictEqual(
      ClientView.chosenNick(after("*** welcome to chat, you are guest-1 in #lobby (1 here)")),
      Option.none()
    )
  })
})

describe("ClientView.echo", () => {
  it("shows your room message as the others see it", () => {
    assert.deepStrictEqual(
      ClientView.echo("hello all", alice),
      Option.some(Received.Message({ nick: "alice", text: "hello all" }))
    )
    assert.deepStrictEqual(
      ClientView.echo("//etc/passwd", alice),
      Option.some(Received.Message({ nick: "alice", text: "/etc/passwd" }))
    )
  })

  it("shows your action", () => {
    assert.deepStrictEqual(
      ClientView.echo("/me waves", alice),
      Option.some(Received.Action({ nick: "alice", text: "waves" }))
    )
    assert.deepStrictEqual(
      ClientView.echo("/ME  waves", alice),
      Option.some(Received.Action({ nick: "alice", text: "waves" }))
    )
  })

  it("cleans the text as the server does, and shows nothing the server ignores or answers", () => {
    assert.deepStrictEqual(
      ClientView.echo("hi\u0007 there   ", alice),
      Option.some(Received.Message({ nick: "alice", text: "hi there" }))
    )
    assert.deepStrictEqual(ClientView.echo("   ", alice), Option.none())
    assert.deepStrictEqual(ClientView.echo("/me", alice), Option.none())
    assert.deepStrictEqual(ClientView.echo("/meow", alice), Option.none())
    assert.deepStrictEqual(ClientView.echo("/msg bob hi", alice), Option.none())
    assert.deepStrictEqual(ClientView.echo("/nick bob", alice), Option.none())
  })
})

describe("ClientView.whyClosed", () => {
  const why = (line?: string) => ClientView.whyClosed(Option.fromNullable(line).pipe(Option.map(ClientView.classify)))

  it("names the reason the server gave last", () => {
    assert.strictEqual(why("*** server shutting down"), "server shutting down")
    assert.strictEqual(why("*** disconnected: idle for 10m"), "disconnected: idle for 10m")
    assert.strictEqual(why("! server full"), "server full")
  })

  it("says the server closed the connection when it gave no reason", () => {
    assert.strictEqual(why(), "the server closed the connection")
    assert.strictEqual(why("<bob> hi"), "the server closed the connection")
  })
})

describe("ClientView.render", () => {
  const plain = (line: string, session = alice) =>
    StyledText.plain(ClientView.render(ClientView.classify(line), session).spans)

  it("shows every line as received when colour is off", () => {
    for (
      const line of [
        "<bob> hi",
        "* bob waves",
        "[pm] <bob> psst",
        "[pm -> bob] psst",
        "*** bob joined #lobby",
        "! no such nick x",
        "odd"
      ]
    ) {
      assert.strictEqual(plain(line), line)
    }
  })

  it("shows any line without control characters exactly as received", () => {
    const printable = FastCheck.string({ unit: "grapheme", maxLength: 60 }).filter((text) => !/\p{Cc}/u.test(text))
    FastCheck.assert(FastCheck.property(printable, (line) => plain(line) === line))
  })

  it("removes control characters and turns tabs into blanks, so no line can move the cursor", () => {
    assert.strictEqual(plain("<bob> a\u001b[2Jb\tc\u0007"), "<bob> a[2Jb c")
  })

  it("subdues notices and makes errors red", () => {
    const notice = ClientView.render(ClientView.classify("*** bob joined #lobby"), alice)
    assert.deepStrictEqual(notice.spans, [StyledText.span("*** bob joined #lobby", [90])])
    const error = ClientView.render(ClientView.classify("! no such nick x"), alice)
    assert.deepStrictEqual(error.spans.map((s) => s.style), [[1, 31], [31]])
  })

  it("colours each nick, the same for the same nick whatever its case, and yours in bold", () => {
    const bob = ClientView.render(ClientView.classify("<bob> hi"), alice).spans[1]!
    assert.deepStrictEqual(bob, StyledText.span("bob", [ClientView.nickColour("bob")]))
    assert.strictEqual(ClientView.nickColour("BOB"), ClientView.nickColour("bob"))
    const own = ClientView.render(Received.Message({ nick: "alice", text: "hi" }), alice).spans[1]!
    assert.deepStrictEqual(own, StyledText.span("alice", [1, ClientView.nickColour("alice")]))
  })

  it("picks nick colours that are neither red nor grey, and spreads them", () => {
    const colours = new Set(Array.from({ length: 50 }, (_, i) => ClientView.nickColour(`guest-${i}`)))
    for (const colour of colours) assert.isTrue(![31, 91, 90, 30, 37].includes(colour))
    assert.isAtLeast(colours.size, 6)
  })

  it("sets actions and private messages apart", () => {
    const action = ClientView.render(ClientView.classify("* bob waves"), alice).spans
    assert.deepStrictEqual(action[0], StyledText.span("* ", [1, 35]))
    const pm = ClientView.render(ClientView.classify("[pm] <bob> psst"), alice).spans
    assert.deepStrictEqual(pm[0], StyledText.span("[pm]", [1, 33]))
  })

  it("makes a message that mentions you bold", () => {
    const spans = ClientView.render(ClientView.classify("<bob> hey Alice, look"), alice).spans
    assert.deepStrictEqual(spans.at(-1), StyledText.span("hey Alice, look", [1]))
    const other = ClientView.render(ClientView.classify("<bob> malice aforethought"), alice).spans
    assert.deepStrictEqual(other.at(-1), StyledText.span("malice aforethought", []))
  })

  it("indents wrapped rows to the text after the nick", () => {
    assert.strictEqual(ClientView.render(ClientView.classify("<bob> hi"), alice).indent, 6)
    assert.strictEqual(ClientView.render(ClientView.classify("*** hi"), alice).indent, 4)
  })
})

describe("a server that sends control characters", () => {
  // PROTOCOL.md forbids them, but the client cannot know what it is talking to:
  // nothing a server sends may move the cursor or restyle the terminal.
  const esc = "\u001b"
  const hasControl = (text: string) => /\p{Cc}/u.test(text)

  it("cannot put them on the screen through a nick", () => {
    for (
      const line of [`<x${esc}[2J> hi`, `* x${esc}[31m waves`, `[pm] <x${esc}]0;t\u0007> psst`, `[pm -> x${esc}c] hi`]
    ) {
      const rendered = ClientView.render(ClientView.classify(line), alice)
      assert.isFalse(hasControl(StyledText.plain(rendered.spans)), JSON.stringify(line))
    }
  })

  it("cannot put them in the prompt through a nick or a room", () => {
    const session = after(`*** welcome to chat, you are x${esc}[31mevil in #lob${esc}[2Jby (1 here)`)
    assert.isFalse(hasControl(StyledText.plain(ClientView.prompt(session, true))))
  })
})

describe("ClientView.prompt", () => {
  it("shows nick and room, and says when offline", () => {
    assert.strictEqual(StyledText.plain(ClientView.prompt(alice, true)), "[alice #lobby] > ")
    assert.strictEqual(StyledText.plain(ClientView.prompt(alice, false)), "[alice #lobby offline] > ")
    assert.strictEqual(StyledText.plain(ClientView.prompt(ClientView.initial, true)), "[connecting] > ")
  })

  it("follows the nick and room", () => {
    const session = ["*** you are now bob", "*** joined #dev (1 here: bob)"].map(ClientView.classify).reduce(
      ClientView.track,
      alice
    )
    assert.strictEqual(StyledText.plain(ClientView.prompt(session, true)), "[bob #dev] > ")
  })
})
