/**
 * The line protocol of PROTOCOL.md, and the only module that knows its wire
 * text: how a typed line becomes a command (`parse`), how events, replies and
 * errors become lines (`render`), and, for clients, how a server line reads
 * back as what it says (`read`).
 *
 * A line is one of six kinds, told apart by its first characters:
 * `<NICK> ` room message, `* ` action, `[pm] ` and `[pm -> ` private
 * messages, `*** ` notice, `! ` error. Rendered lines end with `\n`, so a
 * batch of them is written as one string without further work.
 */
import { Data, Either } from "effect"
import type { Input } from "../../domain/Command.js"
import { Command } from "../../domain/Command.js"
import type { LeaveReason, Nick, RoomName, UsageOf, UserError } from "../../domain/Domain.js"
import {
  AlreadyInRoom,
  clean,
  InvalidNick,
  InvalidRoom,
  LineTooLong,
  lobby,
  NickTaken,
  NoSuchNick,
  NotDelivered,
  NotInRoom,
  parseNick,
  parseRoom,
  UnknownCommand,
  Usage
} from "../../domain/Domain.js"
import type { Render, Rendered, Reply, RoomEvent, Spoken, Whispered } from "../../domain/Event.js"
import type { WireProtocol } from "../WireProtocol.js"

/** One rendered line, `\n` included. */
export type Line = string

// ---------------------------------------------------------------------------
// Reading a typed line

const leadingBlanks = /^[ \t]+/

/** Splits off the first word; the rest loses the blanks that separated it. */
const splitWord = (text: string): readonly [string, string] => {
  const match = /[ \t]/.exec(text)
  return match === null
    ? [text, ""]
    : [text.slice(0, match.index), text.slice(match.index).replace(leadingBlanks, "")]
}

const required = (argument: string, command: UsageOf): Either.Either<string, Usage> =>
  argument === "" ? Either.left(new Usage({ command })) : Either.right(argument)

/**
 * Parses one cleaned, non-empty line (no control characters but TAB, no
 * trailing white space).
 */
export const parseCommand = (line: string): Input => {
  if (!line.startsWith("/")) return Either.right(Command.Say({ text: line }))
  // `//text` is the room message `/text`.
  if (line.startsWith("//")) return Either.right(Command.Say({ text: line.slice(1) }))
  const [word, rest] = splitWord(line)
  switch (word.slice(1).toLowerCase()) {
    case "nick":
      return required(rest, "nick").pipe(
        Either.flatMap(parseNick),
        Either.map((nick) => Command.Rename({ nick }))
      )
    case "join":
      return required(rest, "join").pipe(
        Either.flatMap(parseRoom),
        Either.map((room) => Command.Join({ room, alone: true }))
      )
    case "rooms":
      return Either.right(Command.ListRooms())
    case "who":
      return Either.right(Command.Who({}))
    case "msg": {
      const [to, text] = splitWord(rest)
      return to === "" || text === ""
        ? Either.left(new Usage({ command: "msg" }))
        : Either.right(Command.Whisper({ to, text }))
    }
    case "me":
      return required(rest, "me").pipe(Either.map((text) => Command.Act({ text })))
    case "quit":
      return Either.right(Command.Quit({ message: rest === "" ? undefined : rest }))
    case "help":
      return Either.right(Command.Help())
    default:
      return Either.left(new UnknownCommand({ command: word }))
  }
}

/** A line as received: cleaned, then parsed; undefined for a line that is blank once cleaned (it is ignored). */
export const parse = (text: string): Input | undefined => {
  const line = clean(text)
  return line === "" ? undefined : parseCommand(line)
}

/** Whether a line as typed is `/quit`, read as the server reads it. For clients. */
export const isQuit = (typed: string): boolean => {
  const parsed = parse(typed)
  return parsed !== undefined && Either.isRight(parsed) && parsed.right._tag === "Quit"
}

// ---------------------------------------------------------------------------
// The six kinds

export const roomMessage = (nick: Nick, text: string): Line => `<${nick}> ${text}\n`
export const action = (nick: Nick, text: string): Line => `* ${nick} ${text}\n`
export const privateReceived = (from: Nick, text: string): Line => `[pm] <${from}> ${text}\n`
export const privateSent = (to: Nick, text: string): Line => `[pm -> ${to}] ${text}\n`
export const notice = (text: string): Line => `*** ${text}\n`
export const error = (text: string): Line => `! ${text}\n`

// ---------------------------------------------------------------------------
// Notices

const room = (name: RoomName): string => `#${name}`

export const welcome = (nick: Nick, name: RoomName, here: number): Line =>
  notice(`welcome to chat, you are ${nick} in ${room(name)} (${here} here)`)

export const registered = (nick: Nick): Line => notice(`welcome to chat, you are ${nick}`)

export const helpHint: Line = notice("type /help for commands; lines not starting with / go to the room")

export const joinedRoom = (name: RoomName, members: ReadonlyArray<Nick>): Line =>
  notice(`joined ${room(name)} (${members.length} here: ${members.join(", ")})`)

export const memberJoined = (nick: Nick, name: RoomName): Line => notice(`${nick} joined ${room(name)}`)

export const memberLeft = (nick: Nick, name: RoomName, why: string): Line =>
  notice(`${nick} left ${room(name)} (${why})`)

/** The parenthesised reason of a leave notice. */
export const leaveReason = (reason: LeaveReason): string => {
  switch (reason._tag) {
    case "Quit":
      return reason.message === undefined ? "quit" : `quit: ${reason.message}`
    case "Closed":
      return "connection closed"
    case "Idle":
      return "idle"
    case "TooSlow":
      return "too slow"
    case "ShuttingDown":
      return "server shutting down"
    case "ConnectionLost":
      return "connection lost"
    case "Moved":
      return `joined ${room(reason.to)}`
    case "Parted":
      return reason.message === undefined ? "left" : `left: ${reason.message}`
  }
}

export const youAreNow = (nick: Nick): Line => notice(`you are now ${nick}`)

export const renamed = (from: Nick, to: Nick): Line => notice(`${from} is now ${to}`)

export const youLeft = (name: RoomName): Line => notice(`you left ${room(name)}`)

/** A room's topic, set by an IRC user (the line protocol has no command for it). */
export const topicSet = (nick: Nick, name: RoomName, topic: string): Line =>
  notice(
    topic === "" ? `${nick} cleared the topic of ${room(name)}` : `${nick} set the topic of ${room(name)}: ${topic}`
  )

export const roomList = (rooms: ReadonlyArray<{ readonly room: RoomName; readonly members: number }>): Line =>
  notice(`rooms: ${rooms.map((r) => `${room(r.room)} (${r.members})`).join(", ")}`)

export const whoList = (name: RoomName, members: ReadonlyArray<Nick>): Line =>
  notice(`in ${room(name)}: ${members.join(", ")}`)

export const bye: Line = notice("bye")

export const idleDisconnect = (after: string): Line => notice(`disconnected: idle for ${after}`)

export const shuttingDown: Line = notice("server shutting down")

export const serverFull: Line = error("server full")
export const tooManyFromAddress: Line = error("too many connections from your address")

/** In a cluster: what a room or this node lost. */
export const clusterNotice = (
  what: "HistoryLost" | "EventsMissed" | "NodeLost",
  name: RoomName | undefined
): Line => {
  const where = name === undefined ? "" : ` in ${room(name)}`
  switch (what) {
    case "HistoryLost":
      return notice(`history lost${where} (the cluster's store restarted)`)
    case "EventsMissed":
      return notice(`some events${where} were missed`)
    case "NodeLost":
      return notice("this server lost the cluster; please reconnect")
  }
}

/** One notice per command, with its syntax. */
export const help: ReadonlyArray<Line> = [
  "/nick NAME          change your nick",
  "/join ROOM          leave your room and enter ROOM (created if needed)",
  "/rooms              list the rooms that have people in them",
  "/who                list the people in your room",
  "/msg NICK TEXT      send a private message",
  "/me TEXT            send an action to your room",
  "/quit [REASON]      leave the chat",
  "/help               show this help (//text sends a room message starting with /)"
].map(notice)

// ---------------------------------------------------------------------------
// Errors

export const usage: Record<UsageOf, string> = {
  nick: "/nick NAME",
  join: "/join ROOM",
  msg: "/msg NICK TEXT",
  me: "/me TEXT"
}

export const userError = (e: UserError): Line => {
  switch (e._tag) {
    case "UnknownCommand":
      return error(`unknown command ${e.command} (try /help)`)
    case "Usage":
      return error(`usage: ${usage[e.command]}`)
    case "InvalidNick":
      return error(`invalid nick ${JSON.stringify(e.input)} (1-24 of A-Z a-z 0-9 _ -, starting with a letter)`)
    case "InvalidRoom":
      return error(`invalid room name ${JSON.stringify(e.input)}`)
    case "NickTaken":
      return error(`nick ${e.nick} is taken`)
    case "NoSuchNick":
      return error(`no such nick ${e.nick}`)
    case "AlreadyInRoom":
      return error(`you are already in ${room(e.room)}`)
    case "NotInRoom":
      return error(e.room === undefined ? "you are in no room (try /join ROOM)" : `you are not in ${room(e.room)}`)
    case "NotDelivered":
      return error("not delivered: the chat is unreachable, try again")
    case "LineTooLong":
      return error(`line too long (max ${e.maxBytes} bytes)`)
  }
}

// ---------------------------------------------------------------------------
// Events and replies

const spoken = (event: Spoken): Line =>
  event._tag === "Said" ? roomMessage(event.nick, event.text) : action(event.nick, event.text)

const one = (text: Line): Rendered => ({ text, count: 1 })

/** What the other members of a room see of its events. */
export const roomEvent = (event: RoomEvent): Line => {
  switch (event._tag) {
    case "Said":
    case "Acted":
      return spoken(event)
    case "Joined":
      return memberJoined(event.nick, event.room)
    case "Left":
      return memberLeft(event.nick, event.room, leaveReason(event.reason))
    case "Renamed":
      return renamed(event.nick, event.to)
    case "TopicSet":
      return topicSet(event.nick, event.room, event.topic)
  }
}

/** A reply's lines, appended to `out`. */
const replyLines = (reply: Reply, out: Array<Line>): void => {
  switch (reply._tag) {
    case "Welcome":
      out.push(welcome(reply.nick, reply.room, reply.here), helpHint)
      for (const event of reply.history) out.push(spoken(event))
      return
    case "Registered":
      out.push(registered(reply.nick), helpHint)
      return
    case "Entered":
      out.push(joinedRoom(reply.room, reply.members))
      for (const event of reply.history) out.push(spoken(event))
      return
    case "Parted":
      out.push(youLeft(reply.room))
      return
    case "NickChanged":
      out.push(youAreNow(reply.nick))
      return
    case "RoomList":
      out.push(roomList(reply.rooms))
      return
    case "WhoList":
      out.push(whoList(reply.room, reply.members))
      return
    case "Bye":
      out.push(bye)
      return
    case "Help":
      out.push(...help)
      return
    case "IdleTimeout":
      out.push(idleDisconnect(reply.after))
      return
    case "ShuttingDown":
      out.push(shuttingDown)
      return
    case "ServerFull":
      out.push(serverFull)
      return
    case "TooManyFromAddress":
      out.push(tooManyFromAddress)
      return
    case "Failed":
      out.push(userError(reply.error))
      return
    case "ClusterNotice":
      out.push(clusterNotice(reply.what, reply.room))
      return
    // Asked for by other protocols (IRC's PING, WHOIS, LUSERS); shown plainly should a line client get them.
    case "Pong":
      return
    case "WhoisInfo":
      out.push(
        reply.rooms === undefined
          ? error(`no such nick ${reply.nick}`)
          : notice(`${reply.nick} is in ${reply.rooms.length === 0 ? "no room" : reply.rooms.map(room).join(", ")}`)
      )
      return
    case "Topic":
      out.push(
        notice(
          reply.topic === undefined
            ? `${room(reply.room)} has no topic`
            : `topic of ${room(reply.room)}: ${reply.topic}`
        )
      )
      return
    case "AwaySet":
      out.push(notice(reply.away ? "you are marked away" : "you are back"))
      return
    case "Counts":
      out.push(notice(`${reply.users.clients} connected, ${reply.users.rooms} rooms`))
      return
    case "WhoMatched":
    case "OperUp":
    case "Modes":
    case "NotOperator":
      // Answers to IRC's commands only (`WHO mask`, `OPER`): the line protocol never asks.
      return
  }
}

/** Replies as lines, each ending in `\n`. */
export const replyText = (replies: ReadonlyArray<Reply>): ReadonlyArray<Line> => {
  const out: Array<Line> = []
  for (const reply of replies) replyLines(reply, out)
  return out
}

export const render: Render = {
  roomEvent: (event) => one(roomEvent(event)),
  whisper: (event: Whispered, side) =>
    one(side === "received" ? privateReceived(event.fromNick, event.text) : privateSent(event.toNick, event.text)),
  replies: (replies) => {
    const lines = replyText(replies)
    return { text: lines.join(""), count: lines.length }
  }
}

/** The line protocol: what `nc` speaks. A client starts in `#lobby`, one room at a time. */
export const protocol: WireProtocol = {
  name: "line",
  framing: "stream",
  startIn: lobby,
  parse,
  render
}

// ---------------------------------------------------------------------------
// Reading a server's lines back (for clients)
//
// The inverse of the renderers above, kept beside them so that a change of
// wording changes both (test/protocol/line/LineRead.test.ts renders every
// kind of event, reply and error and reads it back). Nicks and rooms come
// first in every form, and their grammar has no blanks, so each form reads
// back unambiguously whatever the free text holds.

/** What a notice says. */
export type NoticeFact = Data.TaggedEnum<{
  Welcome: { readonly nick: string; readonly room: string; readonly here: number }
  Registered: { readonly nick: string }
  HelpHint: {}
  /** `/help`'s lines. */
  HelpLine: { readonly text: string }
  /** You entered a room: its members, you among them. */
  Entered: { readonly room: string; readonly members: ReadonlyArray<string> }
  YouLeft: { readonly room: string }
  MemberJoined: { readonly nick: string; readonly room: string }
  MemberLeft: { readonly nick: string; readonly room: string; readonly reason: LeaveReason | undefined }
  NickChanged: { readonly nick: string }
  Renamed: { readonly from: string; readonly to: string }
  RoomList: { readonly rooms: ReadonlyArray<{ readonly room: string; readonly members: number }> }
  WhoList: { readonly room: string; readonly members: ReadonlyArray<string> }
  Bye: {}
  IdleTimeout: { readonly after: string }
  ShuttingDown: {}
  /** A notice this version does not know. */
  Unknown: {}
}>
export const NoticeFact = Data.taggedEnum<NoticeFact>()

/** What an error says: the user's mistake, or a refusal. */
export type ErrorFact =
  | UserError
  | { readonly _tag: "ServerFull" }
  | { readonly _tag: "TooManyFromAddress" }
  | { readonly _tag: "Unknown" }

/** A server line as what it says: the six kinds, and anything else. */
export type ServerLine = Data.TaggedEnum<{
  Message: { readonly nick: string; readonly text: string }
  Action: { readonly nick: string; readonly text: string }
  PrivateReceived: { readonly from: string; readonly text: string }
  PrivateSent: { readonly to: string; readonly text: string }
  Notice: { readonly text: string; readonly fact: NoticeFact }
  Error: { readonly text: string; readonly fact: ErrorFact }
  /** Not from a server that speaks PROTOCOL.md. */
  Other: { readonly text: string }
}>
export const ServerLine = Data.taggedEnum<ServerLine>()

const forms = {
  message: /^<([^ >]+)> (.*)$/s,
  action: /^\* ([^ *][^ ]*) (.*)$/s,
  privateReceived: /^\[pm\] <([^ >]+)> (.*)$/s,
  privateSent: /^\[pm -> ([^ \]]+)\] (.*)$/s,
  welcome: /^welcome to chat, you are (\S+) in #(\S+) \((\d+) here\)$/,
  registered: /^welcome to chat, you are (\S+)$/,
  entered: /^joined #(\S+) \(\d+ here: (.*)\)$/,
  youLeft: /^you left #(\S+)$/,
  memberJoined: /^(\S+) joined #(\S+)$/,
  memberLeft: /^(\S+) left #(\S+) \((.*)\)$/s,
  youAreNow: /^you are now (\S+)$/,
  renamed: /^(\S+) is now (\S+)$/,
  rooms: /^rooms: (.*)$/,
  roomCount: /^#(\S+) \((\d+)\)$/,
  who: /^in #(\S+): (.*)$/,
  idle: /^disconnected: idle for (.+)$/,
  unknownCommand: /^unknown command (\S+) \(try \/help\)$/,
  usage: /^usage: (.+)$/,
  invalidNick: /^invalid nick (".*") \(1-24 of A-Z a-z 0-9 _ -, starting with a letter\)$/s,
  invalidRoom: /^invalid room name (".*")$/s,
  nickTaken: /^nick (\S+) is taken$/,
  noSuchNick: /^no such nick (\S+)$/,
  alreadyIn: /^you are already in #(\S+)$/,
  notIn: /^you are not in #(\S+)$/,
  tooLong: /^line too long \(max (\d+) bytes\)$/
} as const

const nameList = (list: string): ReadonlyArray<string> => list === "" ? [] : list.split(", ")

const helpTexts = new Set(help.map((line) => line.slice(4, -1)))

/** A leave notice's reason, as data. */
export const readLeaveReason = (why: string): LeaveReason | undefined => {
  switch (why) {
    case "quit":
      return { _tag: "Quit", message: undefined }
    case "connection closed":
      return { _tag: "Closed" }
    case "idle":
      return { _tag: "Idle" }
    case "too slow":
      return { _tag: "TooSlow" }
    case "server shutting down":
      return { _tag: "ShuttingDown" }
    case "connection lost":
      return { _tag: "ConnectionLost" }
    case "left":
      return { _tag: "Parted", message: undefined }
  }
  if (why.startsWith("quit: ")) return { _tag: "Quit", message: why.slice(6) }
  if (why.startsWith("left: ")) return { _tag: "Parted", message: why.slice(6) }
  const moved = /^joined #(\S+)$/.exec(why)
  return moved === null ? undefined : { _tag: "Moved", to: moved[1]! as RoomName }
}

const readNotice = (text: string): NoticeFact => {
  let m: RegExpExecArray | null
  if ((m = forms.welcome.exec(text))) return NoticeFact.Welcome({ nick: m[1]!, room: m[2]!, here: Number(m[3]) })
  if ((m = forms.registered.exec(text))) return NoticeFact.Registered({ nick: m[1]! })
  if (text === helpHint.slice(4, -1)) return NoticeFact.HelpHint()
  if (helpTexts.has(text)) return NoticeFact.HelpLine({ text })
  if ((m = forms.entered.exec(text))) return NoticeFact.Entered({ room: m[1]!, members: nameList(m[2]!) })
  if ((m = forms.youLeft.exec(text))) return NoticeFact.YouLeft({ room: m[1]! })
  if ((m = forms.youAreNow.exec(text))) return NoticeFact.NickChanged({ nick: m[1]! })
  if ((m = forms.memberJoined.exec(text))) return NoticeFact.MemberJoined({ nick: m[1]!, room: m[2]! })
  if ((m = forms.memberLeft.exec(text))) {
    return NoticeFact.MemberLeft({ nick: m[1]!, room: m[2]!, reason: readLeaveReason(m[3]!) })
  }
  if ((m = forms.renamed.exec(text))) return NoticeFact.Renamed({ from: m[1]!, to: m[2]! })
  if ((m = forms.rooms.exec(text))) {
    const rooms = nameList(m[1]!).map((entry) => forms.roomCount.exec(entry))
    if (rooms.every((r) => r !== null)) {
      return NoticeFact.RoomList({ rooms: rooms.map((r) => ({ room: r[1]!, members: Number(r[2]) })) })
    }
  }
  if ((m = forms.who.exec(text))) return NoticeFact.WhoList({ room: m[1]!, members: nameList(m[2]!) })
  if (text === "bye") return NoticeFact.Bye()
  if ((m = forms.idle.exec(text))) return NoticeFact.IdleTimeout({ after: m[1]! })
  if (text === "server shutting down") return NoticeFact.ShuttingDown()
  return NoticeFact.Unknown()
}

const usageOf = (syntax: string): UsageOf | undefined =>
  (Object.keys(usage) as Array<UsageOf>).find((command) => usage[command] === syntax)

const decodeQuoted = (quoted: string): string | undefined => {
  const decoded = Either.try(() => JSON.parse(quoted) as unknown)
  return Either.isRight(decoded) && typeof decoded.right === "string" ? decoded.right : undefined
}

const readError = (text: string): ErrorFact => {
  const unknown: ErrorFact = { _tag: "Unknown" }
  let m: RegExpExecArray | null
  if (text === "server full") return { _tag: "ServerFull" }
  if (text === "too many connections from your address") return { _tag: "TooManyFromAddress" }
  if (text === "you are in no room (try /join ROOM)") return new NotInRoom({ room: undefined })
  if (text === "not delivered: the chat is unreachable, try again") return new NotDelivered()
  if ((m = forms.unknownCommand.exec(text))) return new UnknownCommand({ command: m[1]! })
  if ((m = forms.usage.exec(text))) {
    const command = usageOf(m[1]!)
    return command === undefined ? unknown : new Usage({ command })
  }
  if ((m = forms.invalidNick.exec(text))) {
    const input = decodeQuoted(m[1]!)
    return input === undefined ? unknown : new InvalidNick({ input })
  }
  if ((m = forms.invalidRoom.exec(text))) {
    const input = decodeQuoted(m[1]!)
    return input === undefined ? unknown : new InvalidRoom({ input })
  }
  if ((m = forms.nickTaken.exec(text))) return new NickTaken({ nick: m[1]! as Nick })
  if ((m = forms.noSuchNick.exec(text))) return new NoSuchNick({ nick: m[1]! })
  if ((m = forms.alreadyIn.exec(text))) return new AlreadyInRoom({ room: m[1]! as RoomName })
  if ((m = forms.notIn.exec(text))) return new NotInRoom({ room: m[1]! as RoomName })
  if ((m = forms.tooLong.exec(text))) return new LineTooLong({ maxBytes: Number(m[1]) })
  return unknown
}

/** What a line the server sent says, without its `\n`. */
export const read = (line: string): ServerLine => {
  if (line.startsWith("*** ")) {
    const text = line.slice(4)
    return ServerLine.Notice({ text, fact: readNotice(text) })
  }
  if (line.startsWith("! ")) {
    const text = line.slice(2)
    return ServerLine.Error({ text, fact: readError(text) })
  }
  let m: RegExpExecArray | null
  if ((m = forms.privateReceived.exec(line))) return ServerLine.PrivateReceived({ from: m[1]!, text: m[2]! })
  if ((m = forms.privateSent.exec(line))) return ServerLine.PrivateSent({ to: m[1]!, text: m[2]! })
  if ((m = forms.action.exec(line))) return ServerLine.Action({ nick: m[1]!, text: m[2]! })
  if ((m = forms.message.exec(line))) return ServerLine.Message({ nick: m[1]!, text: m[2]! })
  return ServerLine.Other({ text: line })
}
