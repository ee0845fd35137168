/**
 * The line protocol's wire text: the six kinds of line, every notice and
 * error, and how events and replies (data) become lines for one client.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  AlreadyInRoom,
  DisconnectReason,
  InvalidNick,
  InvalidRoom,
  LineTooLong,
  Nick,
  NickTaken,
  NoSuchNick,
  NotDelivered,
  NotInRoom,
  RoomName,
  UnknownCommand,
  Usage
} from "../../../src/domain/Domain.js"
import type { Reply, RoomEvent } from "../../../src/domain/Event.js"
import { Acted, Joined, Left, Renamed, Said, Whispered } from "../../../src/domain/Event.js"
import * as LineProtocol from "../../../src/protocol/line/LineProtocol.js"

describe("LineProtocol line kinds", () => {
  const alice = Nick("alice")
  const bob = Nick("bob")

  it("room message: <NICK> TEXT", () => {
    assert.strictEqual(LineProtocol.roomMessage(alice, "hello"), "<alice> hello\n")
  })

  it("action: * NICK TEXT", () => {
    assert.strictEqual(LineProtocol.action(alice, "waves"), "* alice waves\n")
  })

  it("private message received: [pm] <NICK> TEXT", () => {
    assert.strictEqual(LineProtocol.privateReceived(bob, "psst"), "[pm] <bob> psst\n")
  })

  it("private message sent: [pm -> NICK] TEXT", () => {
    assert.strictEqual(LineProtocol.privateSent(bob, "psst"), "[pm -> bob] psst\n")
  })

  it("notice: *** TEXT", () => {
    assert.strictEqual(LineProtocol.notice("bob joined #lobby"), "*** bob joined #lobby\n")
  })

  it("error: ! TEXT", () => {
    assert.strictEqual(LineProtocol.error("nick alice is taken"), "! nick alice is taken\n")
  })

  it("keeps the text as given, / included", () => {
    assert.strictEqual(LineProtocol.roomMessage(alice, "/text"), "<alice> /text\n")
    assert.strictEqual(LineProtocol.roomMessage(alice, "  a\tb"), "<alice>   a\tb\n")
  })
})

describe("LineProtocol notices", () => {
  const lobby = RoomName("lobby")

  it("welcome names the assigned nick in its first line", () => {
    assert.strictEqual(
      LineProtocol.welcome(Nick("guest-1"), lobby, 3),
      "*** welcome to chat, you are guest-1 in #lobby (3 here)\n"
    )
  })

  it("join, leave, rename and list notices", () => {
    assert.strictEqual(LineProtocol.memberJoined(Nick("bob"), lobby), "*** bob joined #lobby\n")
    assert.strictEqual(LineProtocol.memberLeft(Nick("bob"), lobby, "quit"), "*** bob left #lobby (quit)\n")
    assert.strictEqual(
      LineProtocol.memberLeft(Nick("bob"), lobby, LineProtocol.leaveReason({ _tag: "Moved", to: RoomName("dev") })),
      "*** bob left #lobby (joined #dev)\n"
    )
    assert.strictEqual(
      LineProtocol.joinedRoom(RoomName("dev"), [Nick("a"), Nick("b"), Nick("c")]),
      "*** joined #dev (3 here: a, b, c)\n"
    )
    assert.strictEqual(LineProtocol.youAreNow(Nick("alice")), "*** you are now alice\n")
    assert.strictEqual(LineProtocol.renamed(Nick("guest-1"), Nick("alice")), "*** guest-1 is now alice\n")
    assert.strictEqual(
      LineProtocol.roomList([{ room: lobby, members: 3 }, { room: RoomName("dev"), members: 1 }]),
      "*** rooms: #lobby (3), #dev (1)\n"
    )
    assert.strictEqual(
      LineProtocol.whoList(lobby, [Nick("alice"), Nick("bob"), Nick("guest-3")]),
      "*** in #lobby: alice, bob, guest-3\n"
    )
    assert.strictEqual(LineProtocol.bye, "*** bye\n")
    assert.strictEqual(LineProtocol.idleDisconnect("10m"), "*** disconnected: idle for 10m\n")
    assert.strictEqual(LineProtocol.shuttingDown, "*** server shutting down\n")
    assert.strictEqual(LineProtocol.serverFull, "! server full\n")
  })

  it("leave reasons", () => {
    assert.strictEqual(LineProtocol.leaveReason(DisconnectReason.Quit({ message: undefined })), "quit")
    assert.strictEqual(
      LineProtocol.leaveReason(DisconnectReason.Quit({ message: "gone fishing" })),
      "quit: gone fishing"
    )
    assert.strictEqual(LineProtocol.leaveReason(DisconnectReason.Idle()), "idle")
    assert.strictEqual(LineProtocol.leaveReason(DisconnectReason.TooSlow()), "too slow")
    assert.strictEqual(LineProtocol.leaveReason(DisconnectReason.Closed()), "connection closed")
  })

  it("help has one notice per command, each starting with *** and naming its syntax", () => {
    for (const line of LineProtocol.help) {
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
        LineProtocol.help.some((line) => line.startsWith(`*** ${syntax} `)),
        `help names ${syntax}`
      )
    }
  })

  it("every rendered line is exactly one line ending in \\n", () => {
    const lines = [
      LineProtocol.helpHint,
      LineProtocol.bye,
      LineProtocol.shuttingDown,
      LineProtocol.serverFull,
      LineProtocol.welcome(Nick("guest-1"), RoomName("lobby"), 1)
    ]
    for (const line of lines) {
      assert.strictEqual(line.indexOf("\n"), line.length - 1, JSON.stringify(line))
    }
    assert.isTrue(LineProtocol.helpHint.startsWith("*** "))
  })
})

describe("LineProtocol.userError", () => {
  it("unknown command", () => {
    assert.strictEqual(
      LineProtocol.userError(new UnknownCommand({ command: "/foo" })),
      "! unknown command /foo (try /help)\n"
    )
  })

  it("usage lines", () => {
    assert.strictEqual(LineProtocol.userError(new Usage({ command: "msg" })), "! usage: /msg NICK TEXT\n")
    assert.strictEqual(LineProtocol.userError(new Usage({ command: "nick" })), "! usage: /nick NAME\n")
    assert.strictEqual(LineProtocol.userError(new Usage({ command: "join" })), "! usage: /join ROOM\n")
    assert.strictEqual(LineProtocol.userError(new Usage({ command: "me" })), "! usage: /me TEXT\n")
  })

  it("invalid nick", () => {
    assert.strictEqual(
      LineProtocol.userError(new InvalidNick({ input: "9lives" })),
      "! invalid nick \"9lives\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)\n"
    )
  })

  it("nick taken", () => {
    assert.strictEqual(LineProtocol.userError(new NickTaken({ nick: Nick("alice") })), "! nick alice is taken\n")
  })

  it("no such nick", () => {
    assert.strictEqual(LineProtocol.userError(new NoSuchNick({ nick: "bob" })), "! no such nick bob\n")
  })

  it("invalid room name", () => {
    assert.strictEqual(LineProtocol.userError(new InvalidRoom({ input: "a b" })), "! invalid room name \"a b\"\n")
  })

  it("already in the room", () => {
    assert.strictEqual(
      LineProtocol.userError(new AlreadyInRoom({ room: RoomName("lobby") })),
      "! you are already in #lobby\n"
    )
  })

  it("line too long", () => {
    assert.strictEqual(
      LineProtocol.userError(new LineTooLong({ maxBytes: 4096 })),
      "! line too long (max 4096 bytes)\n"
    )
  })
})

describe("LineProtocol.userError, mistakes found by the hub", () => {
  it("not in a room", () => {
    assert.strictEqual(
      LineProtocol.userError(new NotInRoom({ room: undefined })),
      "! you are in no room (try /join ROOM)\n"
    )
    assert.strictEqual(LineProtocol.userError(new NotInRoom({ room: RoomName("dev") })), "! you are not in #dev\n")
  })

  it("not delivered", () => {
    assert.strictEqual(
      LineProtocol.userError(new NotDelivered()),
      "! not delivered: the chat is unreachable, try again\n"
    )
  })
})

describe("LineProtocol.render, events and replies as data", () => {
  const lobby = RoomName("lobby")
  const alice = Nick("alice")
  const bob = Nick("bob")
  const facts = { client: 1, nick: alice, room: lobby, seq: 1 }

  it("shows each room event to the other members as one line", () => {
    const shown = (event: RoomEvent) => LineProtocol.render.roomEvent(event)
    assert.deepStrictEqual(shown(new Said({ ...facts, text: "hi" })), { text: "<alice> hi\n", count: 1 })
    assert.deepStrictEqual(shown(new Acted({ ...facts, text: "waves" })), { text: "* alice waves\n", count: 1 })
    assert.deepStrictEqual(shown(new Joined(facts)), { text: "*** alice joined #lobby\n", count: 1 })
    assert.deepStrictEqual(
      shown(new Left({ ...facts, reason: DisconnectReason.Quit({ message: "bye now" }) })),
      { text: "*** alice left #lobby (quit: bye now)\n", count: 1 }
    )
    assert.deepStrictEqual(
      shown(new Renamed({ ...facts, to: Nick("alicia") })),
      { text: "*** alice is now alicia\n", count: 1 }
    )
  })

  it("shows a private message to each end in its own words", () => {
    const whisper = new Whispered({ from: 1, fromNick: alice, to: 2, toNick: bob, text: "psst" })
    assert.deepStrictEqual(LineProtocol.render.whisper(whisper, "received"), { text: "[pm] <alice> psst\n", count: 1 })
    assert.deepStrictEqual(LineProtocol.render.whisper(whisper, "sent"), { text: "[pm -> bob] psst\n", count: 1 })
  })

  it("shows a welcome with the hint and the room's history, oldest first", () => {
    const history = [new Said({ ...facts, text: "earlier" }), new Acted({ ...facts, seq: 2, text: "waves" })]
    assert.deepStrictEqual(LineProtocol.replyText([{ _tag: "Welcome", nick: bob, room: lobby, here: 2, history }]), [
      "*** welcome to chat, you are bob in #lobby (2 here)\n",
      "*** type /help for commands; lines not starting with / go to the room\n",
      "<alice> earlier\n",
      "* alice waves\n"
    ])
  })

  it("shows every other reply in its lines, counting them", () => {
    const replies: ReadonlyArray<Reply> = [
      { _tag: "Registered", nick: bob },
      { _tag: "Entered", room: RoomName("dev"), members: [alice, bob], history: [] },
      { _tag: "Parted", room: RoomName("dev"), message: undefined },
      { _tag: "NickChanged", nick: alice },
      { _tag: "RoomList", rooms: [{ room: lobby, members: 2 }] },
      { _tag: "WhoList", room: lobby, members: [alice, bob] },
      { _tag: "Bye" },
      { _tag: "IdleTimeout", after: "10m" },
      { _tag: "ShuttingDown" },
      { _tag: "ServerFull" },
      { _tag: "Failed", error: new NickTaken({ nick: alice }) }
    ]
    const lines = [
      "*** welcome to chat, you are bob\n",
      "*** type /help for commands; lines not starting with / go to the room\n",
      "*** joined #dev (2 here: alice, bob)\n",
      "*** you left #dev\n",
      "*** you are now alice\n",
      "*** rooms: #lobby (2)\n",
      "*** in #lobby: alice, bob\n",
      "*** bye\n",
      "*** disconnected: idle for 10m\n",
      "*** server shutting down\n",
      "! server full\n",
      "! nick alice is taken\n"
    ]
    assert.deepStrictEqual(LineProtocol.replyText(replies), lines)
    assert.deepStrictEqual(LineProtocol.render.replies(replies), { text: lines.join(""), count: lines.length })
    assert.deepStrictEqual(LineProtocol.replyText([{ _tag: "Help" }]), LineProtocol.help)
  })

  it("names every reason to leave", () => {
    assert.strictEqual(LineProtocol.leaveReason(DisconnectReason.ShuttingDown()), "server shutting down")
    assert.strictEqual(LineProtocol.leaveReason(DisconnectReason.ConnectionLost()), "connection lost")
    assert.strictEqual(LineProtocol.leaveReason({ _tag: "Parted", message: undefined }), "left")
    assert.strictEqual(LineProtocol.leaveReason({ _tag: "Parted", message: "later" }), "left: later")
  })
})
