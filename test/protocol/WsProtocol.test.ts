/**
 * The WebSocket protocol's messages, without a socket: every message of the
 * Schema round-trips through its JSON; everything the server renders (each
 * room event, private message, reply and error) decodes as a
 * `ServerMessage`, one per line; every client message parses into the
 * domain command it names.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import type { Nick, RoomName, UserError } from "../../src/domain/Domain.js"
import * as Domain from "../../src/domain/Domain.js"
import type { Reply } from "../../src/domain/Event.js"
import { Acted, Joined, Left, Renamed, Said, Whispered } from "../../src/domain/Event.js"
import type { ClientMessage, ServerMessage } from "../../src/protocol/ws/WsMessage.js"
import * as WsMessage from "../../src/protocol/ws/WsMessage.js"
import * as WsProtocol from "../../src/protocol/ws/WsProtocol.js"

const alice = "alice" as Nick
const bob = "bob" as Nick
const lobby = "lobby" as RoomName
const said = new Said({ client: 1, nick: alice, room: lobby, seq: 1, text: "hi <b>there</b>\u2028next" })
const acted = new Acted({ client: 1, nick: alice, room: lobby, seq: 2, text: "waves" })

const serverSamples: ReadonlyArray<ServerMessage> = [
  { type: "message", room: "lobby", nick: "alice", text: "hello \"quoted\" \n and \u0000", seq: 1 },
  { type: "action", room: "lobby", nick: "alice", text: "waves", seq: 2 },
  { type: "private", side: "received", from: "bob", to: "alice", text: "psst" },
  { type: "private", side: "sent", from: "alice", to: "bob", text: "psst" },
  { type: "joined", room: "lobby", nick: "bob", seq: 3 },
  { type: "left", room: "lobby", nick: "bob", seq: 4, reason: { kind: "quit", message: "bye" } },
  { type: "left", room: "lobby", nick: "bob", seq: 4, reason: { kind: "moved", to: "kitchen" } },
  { type: "renamed", room: "lobby", nick: "bob", to: "robert", seq: 5 },
  { type: "welcome", nick: "guest-1", history: [] },
  {
    type: "welcome",
    nick: "guest-1",
    room: "lobby",
    here: 2,
    history: [{ type: "message", room: "lobby", nick: "a", text: "t", seq: 1 }]
  },
  { type: "entered", room: "lobby", members: ["alice", "bob"], history: [] },
  { type: "parted", room: "lobby" },
  { type: "parted", room: "lobby", message: "later" },
  { type: "nick", nick: "alice" },
  { type: "rooms", rooms: [{ room: "lobby", members: 2 }] },
  { type: "who", room: "lobby", members: ["alice"] },
  { type: "bye" },
  { type: "help", commands: [{ usage: "/who", description: "list" }] },
  { type: "idle", after: "10m" },
  { type: "shutdown" },
  { type: "full" },
  { type: "tooMany" },
  { type: "topicSet", room: "lobby", nick: "alice", topic: "welcome all", seq: 9 },
  { type: "topic", room: "lobby", topic: "welcome all" },
  { type: "cluster", what: "historyLost", room: "lobby" },
  { type: "cluster", what: "nodeLost" },
  { type: "error", code: "NickTaken", message: "nick alice is taken" }
]

const clientSamples: ReadonlyArray<readonly [ClientMessage, string]> = [
  [{ type: "say", text: "hello" }, "Say"],
  [{ type: "say", text: "hello", room: "lobby" }, "Say"],
  [{ type: "me", text: "waves" }, "Act"],
  [{ type: "nick", nick: "alice" }, "Rename"],
  [{ type: "join", room: "#kitchen" }, "Join"],
  [{ type: "msg", to: "bob", text: "psst" }, "Whisper"],
  [{ type: "who" }, "Who"],
  [{ type: "rooms" }, "ListRooms"],
  [{ type: "quit" }, "Quit"],
  [{ type: "quit", message: "bye" }, "Quit"],
  [{ type: "help" }, "Help"]
]

/** A rendered text's messages: one per line, each a `ServerMessage`. */
const decodeAll = (text: string): Array<ServerMessage> => {
  assert.isTrue(text.endsWith("\n"))
  return text.slice(0, -1).split("\n").map((line) => {
    const decoded = WsMessage.decodeServer(line)
    assert.isTrue(Either.isRight(decoded), `does not decode: ${line}`)
    return Either.getOrThrow(decoded)
  })
}

describe("WsMessage", () => {
  it("every server message round-trips through its JSON, on one line", () => {
    for (const message of serverSamples) {
      const text = WsMessage.encode(message)
      assert.notInclude(text, "\n")
      assert.deepStrictEqual(Either.getOrThrow(WsMessage.decodeServer(text)), message)
    }
    // Every type of the union has a sample.
    const types = new Set(serverSamples.map((m) => m.type))
    assert.strictEqual(types.size, WsMessage.ServerMessage.members.length)
  })

  it("every client message round-trips, and parses into the command it names", () => {
    for (const [message, tag] of clientSamples) {
      const text = WsMessage.encode(message)
      assert.deepStrictEqual(Either.getOrThrow(WsMessage.decodeClient(text)), message)
      const input = WsProtocol.parse(text)
      assert.isDefined(input)
      assert.strictEqual(Either.getOrThrow(input)._tag, tag)
    }
    assert.deepStrictEqual(new Set(clientSamples.map(([m]) => m.type)), new Set(WsMessage.clientTypes))
  })
})

describe("WsProtocol.parse", () => {
  const error = (text: string): UserError | undefined => {
    const input = WsProtocol.parse(text)
    return input !== undefined && Either.isLeft(input) ? input.left : undefined
  }

  it("names and rooms are checked; text is cleaned; a blank message is ignored", () => {
    assert.strictEqual(error(WsMessage.encode({ type: "nick", nick: "<img src=x>" }))?._tag, "InvalidNick")
    assert.strictEqual(error(WsMessage.encode({ type: "join", room: "no spaces" }))?._tag, "InvalidRoom")
    assert.strictEqual(error(WsMessage.encode({ type: "nick", nick: "" }))?._tag, "Usage")
    assert.strictEqual(error(WsMessage.encode({ type: "msg", to: "bob", text: "  " }))?._tag, "Usage")
    assert.isUndefined(WsProtocol.parse(WsMessage.encode({ type: "say", text: " \u001b " })))
    const cleaned = WsProtocol.parse(WsMessage.encode({ type: "say", text: "a\u001b[31mb  " }))
    assert.deepInclude(Either.getOrThrow(cleaned!), { _tag: "Say", text: "a[31mb" })
  })

  it("what is not a message of the protocol is the sender's mistake, in words", () => {
    assert.deepStrictEqual(
      WsProtocol.errorMessage(error("{nope")!),
      "unknown message (not a JSON message with a type)"
    )
    assert.deepStrictEqual(WsProtocol.errorMessage(error("[1,2]")!), "unknown message (not a JSON message with a type)")
    assert.deepStrictEqual(WsProtocol.errorMessage(error("{\"type\":\"dance\"}")!), "unknown message \"dance\"")
    assert.deepStrictEqual(error("{\"type\":\"join\"}")?._tag, "Usage")
    assert.deepStrictEqual(
      WsProtocol.binaryFrame,
      Either.left(new Domain.UnknownCommand({ command: "(binary frame)" }))
    )
  })
})

describe("WsProtocol.render", () => {
  it("room events, one message each, the same for every member", () => {
    const events = [
      said,
      acted,
      new Joined({ client: 2, nick: bob, room: lobby, seq: 3 }),
      new Left({ client: 2, nick: bob, room: lobby, seq: 4, reason: { _tag: "Quit", message: undefined } }),
      new Left({ client: 2, nick: bob, room: lobby, seq: 5, reason: { _tag: "TooSlow" } }),
      new Renamed({ client: 2, nick: bob, room: lobby, seq: 6, to: "robert" as Nick })
    ]
    const messages = events.map((event) => {
      const rendered = WsProtocol.render.roomEvent(event)!
      assert.strictEqual(rendered.count, 1)
      return decodeAll(rendered.text)[0]
    })
    assert.deepStrictEqual(messages, [
      { type: "message", room: "lobby", nick: "alice", text: "hi <b>there</b>\u2028next", seq: 1 },
      { type: "action", room: "lobby", nick: "alice", text: "waves", seq: 2 },
      { type: "joined", room: "lobby", nick: "bob", seq: 3 },
      { type: "left", room: "lobby", nick: "bob", seq: 4, reason: { kind: "quit" } },
      { type: "left", room: "lobby", nick: "bob", seq: 5, reason: { kind: "tooSlow" } },
      { type: "renamed", room: "lobby", nick: "bob", to: "robert", seq: 6 }
    ])
  })

  it("private messages, both sides", () => {
    const whisper = new Whispered({ from: 1, fromNick: alice, to: 2, toNick: bob, text: "psst" })
    assert.deepStrictEqual(decodeAll(WsProtocol.render.whisper(whisper, "received").text), [
      { type: "private", side: "received", from: "alice", to: "bob", text: "psst" }
    ])
    assert.deepStrictEqual(decodeAll(WsProtocol.render.whisper(whisper, "sent").text), [
      { type: "private", side: "sent", from: "alice", to: "bob", text: "psst" }
    ])
  })

  it("every reply and every user error, one message each, in order", () => {
    const errors: ReadonlyArray<UserError> = [
      new Domain.UnknownCommand({ command: "/x" }),
      new Domain.Usage({ command: "msg" }),
      new Domain.InvalidNick({ input: "1x" }),
      new Domain.InvalidRoom({ input: "a b" }),
      new Domain.NickTaken({ nick: alice }),
      new Domain.NoSuchNick({ nick: "zed" }),
      new Domain.AlreadyInRoom({ room: lobby }),
      new Domain.NotInRoom({ room: undefined }),
      new Domain.NotDelivered(),
      new Domain.LineTooLong({ maxBytes: 4096 })
    ]
    const replies: ReadonlyArray<Reply> = [
      { _tag: "Welcome", nick: alice, room: lobby, here: 2, history: [said, acted] },
      { _tag: "Registered", nick: alice },
      { _tag: "Entered", room: lobby, members: [alice, bob], history: [said] },
      { _tag: "Parted", room: lobby, message: undefined },
      { _tag: "NickChanged", nick: bob },
      { _tag: "RoomList", rooms: [{ room: lobby, members: 2 }] },
      { _tag: "WhoList", room: lobby, members: [alice, bob] },
      { _tag: "Bye" },
      { _tag: "Help" },
      { _tag: "IdleTimeout", after: "10m" },
      { _tag: "ShuttingDown" },
      { _tag: "ServerFull" },
      ...errors.map((error): Reply => ({ _tag: "Failed", error }))
    ]
    const rendered = WsProtocol.render.replies(replies)
    assert.strictEqual(rendered.count, replies.length)
    const messages = decodeAll(rendered.text)
    assert.deepStrictEqual(messages.map((m) => m.type), [
      "welcome",
      "welcome",
      "entered",
      "parted",
      "nick",
      "rooms",
      "who",
      "bye",
      "help",
      "idle",
      "shutdown",
      "full",
      ...errors.map(() => "error")
    ])
    assert.deepStrictEqual(messages.slice(-errors.length).map((m) => m.type === "error" ? m.code : ""), [
      "UnknownCommand",
      "Usage",
      "InvalidNick",
      "InvalidRoom",
      "NickTaken",
      "NoSuchNick",
      "AlreadyInRoom",
      "NotInRoom",
      "NotDelivered",
      "LineTooLong"
    ])
    assert.deepStrictEqual(messages[0], {
      type: "welcome",
      nick: "alice",
      room: "lobby",
      here: 2,
      history: [
        { type: "message", room: "lobby", nick: "alice", text: "hi <b>there</b>\u2028next", seq: 1 },
        { type: "action", room: "lobby", nick: "alice", text: "waves", seq: 2 }
      ]
    })
  })
})
