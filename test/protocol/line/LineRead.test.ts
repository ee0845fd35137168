/**
 * The line protocol's reader against its renderers: every kind of event,
 * reply and error, rendered, reads back as the facts it was made from. A
 * change of wording in one that the other does not follow fails here, not
 * in a user's terminal.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { DisconnectReason, LeaveReason, Nick, RoomName, UserError } from "../../../src/domain/Domain.js"
import * as Domain from "../../../src/domain/Domain.js"
import type { Reply, RoomEvent } from "../../../src/domain/Event.js"
import { Acted, Joined, Left, Renamed, Said, Whispered } from "../../../src/domain/Event.js"
import * as LineProtocol from "../../../src/protocol/line/LineProtocol.js"

const { NoticeFact, ServerLine } = LineProtocol

const nick = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,23}$/).map((s) => s as Nick)
const room = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/).map((s) => s as RoomName)
/** Text as it is relayed: cleaned and not empty. */
const text = fc.string({ unit: "binary", minLength: 1, maxLength: 60 }).map(Domain.clean).filter((t) => t !== "")
const seq = fc.nat()
const client = fc.nat()

const disconnectReason: fc.Arbitrary<DisconnectReason> = fc.oneof(
  fc.option(text, { nil: undefined }).map((message) => Domain.DisconnectReason.Quit({ message })),
  fc.constant(Domain.DisconnectReason.Closed()),
  fc.constant(Domain.DisconnectReason.Idle()),
  fc.constant(Domain.DisconnectReason.TooSlow()),
  fc.constant(Domain.DisconnectReason.ShuttingDown()),
  fc.constant(Domain.DisconnectReason.ConnectionLost())
)
const leaveReason: fc.Arbitrary<LeaveReason> = fc.oneof(
  disconnectReason,
  room.map((to): LeaveReason => ({ _tag: "Moved", to })),
  fc.option(text, { nil: undefined }).map((message): LeaveReason => ({ _tag: "Parted", message }))
)

const roomEvent: fc.Arbitrary<RoomEvent> = fc.oneof(
  fc.record({ client, nick, room, seq, text }).map((f) => new Said(f)),
  fc.record({ client, nick, room, seq, text }).map((f) => new Acted(f)),
  fc.record({ client, nick, room, seq }).map((f) => new Joined(f)),
  fc.record({ client, nick, room, seq, reason: leaveReason }).map((f) => new Left(f)),
  fc.record({ client, nick, room, seq, to: nick }).map((f) => new Renamed(f))
)

const userError: fc.Arbitrary<UserError> = fc.oneof(
  fc.stringMatching(/^\/[^\s]{1,20}$/).map((command) => new Domain.UnknownCommand({ command })),
  fc.constantFrom<Array<"nick" | "join" | "msg" | "me">>("nick", "join", "msg", "me").map((command) =>
    new Domain.Usage({ command })
  ),
  text.map((input) => new Domain.InvalidNick({ input })),
  text.map((input) => new Domain.InvalidRoom({ input })),
  nick.map((n) => new Domain.NickTaken({ nick: n })),
  fc.stringMatching(/^[^\s]{1,30}$/).map((n) => new Domain.NoSuchNick({ nick: n })),
  room.map((r) => new Domain.AlreadyInRoom({ room: r })),
  fc.option(room, { nil: undefined }).map((r) => new Domain.NotInRoom({ room: r })),
  fc.constant(new Domain.NotDelivered()),
  fc.integer({ min: 1, max: 1 << 20 }).map((maxBytes) => new Domain.LineTooLong({ maxBytes }))
)

const spoken = fc.oneof(
  fc.record({ client, nick, room, seq, text }).map((f) => new Said(f)),
  fc.record({ client, nick, room, seq, text }).map((f) => new Acted(f))
)

const reply: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({ nick, room, here: fc.integer({ min: 1, max: 10_000 }), history: fc.array(spoken, { maxLength: 3 }) })
    .map((f): Reply => ({ _tag: "Welcome", ...f })),
  nick.map((n): Reply => ({ _tag: "Registered", nick: n })),
  fc.record({
    room,
    members: fc.array(nick, { minLength: 1, maxLength: 5 }),
    history: fc.array(spoken, { maxLength: 3 })
  })
    .map((f): Reply => ({ _tag: "Entered", ...f })),
  fc.record({ room, message: fc.option(text, { nil: undefined }) }).map((f): Reply => ({ _tag: "Parted", ...f })),
  nick.map((n): Reply => ({ _tag: "NickChanged", nick: n })),
  fc.array(fc.record({ room, members: fc.integer({ min: 1, max: 10_000 }) }), { maxLength: 4 })
    .map((rooms): Reply => ({ _tag: "RoomList", rooms })),
  fc.record({ room, members: fc.array(nick, { maxLength: 5 }) }).map((f): Reply => ({ _tag: "WhoList", ...f })),
  fc.constant<Reply>({ _tag: "Bye" }),
  fc.constant<Reply>({ _tag: "Help" }),
  fc.stringMatching(/^[1-9][0-9]{0,3}(ms|s|m|h)?$/).map((after): Reply => ({ _tag: "IdleTimeout", after })),
  fc.constant<Reply>({ _tag: "ShuttingDown" }),
  fc.constant<Reply>({ _tag: "ServerFull" }),
  userError.map((error): Reply => ({ _tag: "Failed", error }))
)

/** A rendered line, read back. */
const readBack = (rendered: string): Array<LineProtocol.ServerLine> => {
  assert.isTrue(rendered.endsWith("\n"), JSON.stringify(rendered))
  return rendered.slice(0, -1).split("\n").map(LineProtocol.read)
}

const notice = (line: LineProtocol.ServerLine): LineProtocol.NoticeFact => {
  assert.strictEqual(line._tag, "Notice", JSON.stringify(line))
  return (line as Extract<LineProtocol.ServerLine, { _tag: "Notice" }>).fact
}

/** What each message of history reads back as. */
const spokenLine = (event: Said | Acted): LineProtocol.ServerLine =>
  event._tag === "Said"
    ? ServerLine.Message({ nick: event.nick, text: event.text })
    : ServerLine.Action({ nick: event.nick, text: event.text })

describe("LineProtocol.read reads back what LineProtocol renders", () => {
  it.prop("every room event, as its other members see it", [roomEvent], ([event]) => {
    const [line, ...rest] = readBack(LineProtocol.render.roomEvent(event)!.text)
    assert.deepStrictEqual(rest, [])
    switch (event._tag) {
      case "Said":
      case "Acted":
        return assert.deepStrictEqual(line, spokenLine(event))
      case "Joined":
        return assert.deepStrictEqual(notice(line!), NoticeFact.MemberJoined({ nick: event.nick, room: event.room }))
      case "Left":
        return assert.deepStrictEqual(
          notice(line!),
          NoticeFact.MemberLeft({ nick: event.nick, room: event.room, reason: event.reason })
        )
      case "Renamed":
        return assert.deepStrictEqual(notice(line!), NoticeFact.Renamed({ from: event.nick, to: event.to }))
    }
  })

  it.prop("private messages, both ends", [client, nick, client, nick, text], ([from, fromNick, to, toNick, body]) => {
    const event = new Whispered({ from, fromNick, to, toNick, text: body })
    assert.deepStrictEqual(
      readBack(LineProtocol.render.whisper(event, "received").text),
      [ServerLine.PrivateReceived({ from: fromNick, text: body })]
    )
    assert.deepStrictEqual(
      readBack(LineProtocol.render.whisper(event, "sent").text),
      [ServerLine.PrivateSent({ to: toNick, text: body })]
    )
  })

  it.prop("every reply", [reply], ([r]) => {
    const rendered = LineProtocol.render.replies([r])
    const lines = readBack(rendered.text)
    assert.strictEqual(lines.length, rendered.count)
    switch (r._tag) {
      case "Welcome":
        assert.deepStrictEqual(notice(lines[0]!), NoticeFact.Welcome({ nick: r.nick, room: r.room, here: r.here }))
        assert.deepStrictEqual(notice(lines[1]!), NoticeFact.HelpHint())
        return assert.deepStrictEqual(lines.slice(2), r.history.map(spokenLine))
      case "Registered":
        assert.deepStrictEqual(notice(lines[0]!), NoticeFact.Registered({ nick: r.nick }))
        return assert.deepStrictEqual(notice(lines[1]!), NoticeFact.HelpHint())
      case "Entered":
        assert.deepStrictEqual(notice(lines[0]!), NoticeFact.Entered({ room: r.room, members: r.members }))
        return assert.deepStrictEqual(lines.slice(1), r.history.map(spokenLine))
      case "Parted":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.YouLeft({ room: r.room }))
      case "NickChanged":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.NickChanged({ nick: r.nick }))
      case "RoomList":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.RoomList({ rooms: r.rooms }))
      case "WhoList":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.WhoList({ room: r.room, members: r.members }))
      case "Bye":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.Bye())
      case "Help":
        assert.isAbove(lines.length, 1)
        for (const line of lines) assert.strictEqual(notice(line)._tag, "HelpLine")
        return
      case "IdleTimeout":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.IdleTimeout({ after: r.after }))
      case "ShuttingDown":
        return assert.deepStrictEqual(notice(lines[0]!), NoticeFact.ShuttingDown())
      case "ServerFull":
        return assert.deepStrictEqual(lines, [ServerLine.Error({ text: "server full", fact: { _tag: "ServerFull" } })])
      case "Failed": {
        const [line] = lines
        assert.strictEqual(line!._tag, "Error")
        return assert.deepStrictEqual((line as Extract<LineProtocol.ServerLine, { _tag: "Error" }>).fact, r.error)
      }
    }
  })

  it.prop("every user error, as its `!` line", [userError], ([error]) => {
    const [line, ...rest] = readBack(LineProtocol.userError(error))
    assert.deepStrictEqual(rest, [])
    assert.strictEqual(line!._tag, "Error")
    assert.deepStrictEqual((line as Extract<LineProtocol.ServerLine, { _tag: "Error" }>).fact, error)
  }, { fastCheck: { numRuns: 500 } })

  it("calls a line of no known form Other, and a notice of no known form Unknown", () => {
    assert.deepStrictEqual(LineProtocol.read("hello"), ServerLine.Other({ text: "hello" }))
    assert.deepStrictEqual(
      LineProtocol.read("*** something new"),
      ServerLine.Notice({ text: "something new", fact: NoticeFact.Unknown() })
    )
  })
})
