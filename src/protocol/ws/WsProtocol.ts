/**
 * The WebSocket protocol (PROTOCOL.md, "WebSocket"), and the only module that
 * knows its wire text: a frame's JSON becomes a domain command (`parse`),
 * events, replies and errors become JSON messages (`render`).
 *
 * A `Rendered` holds its messages one per line: `JSON.stringify` never emits
 * a raw newline, so the socket layer sends each line as its own frame, and
 * batches of rendered text concatenate like the line protocol's.
 */
import { Either } from "effect"
import type { Input } from "../../domain/Command.js"
import { Command } from "../../domain/Command.js"
import type { LeaveReason, UserError } from "../../domain/Domain.js"
import { clean, parseNick, parseRoom, UnknownCommand, Usage } from "../../domain/Domain.js"
import type { Render, Rendered, Reply, RoomEvent, Spoken, Whispered } from "../../domain/Event.js"
import type { WireProtocol } from "../WireProtocol.js"
import type { ClientMessage, LeftReason, ServerMessage } from "./WsMessage.js"
import * as WsMessage from "./WsMessage.js"

// ---------------------------------------------------------------------------
// Reading a frame

/** A frame that is not a message of this protocol; `what` says why, for its error. */
const badMessage = (what: string): Input => Either.left(new UnknownCommand({ command: what }))

/** What a binary frame gets: this protocol is text only. */
export const binaryFrame: Input = badMessage("(binary frame)")

const typeOf = (text: string): string | undefined => {
  const typed = WsMessage.decodeTyped(text)
  return Either.isRight(typed) ? typed.right.type : undefined
}

/** What a malformed frame gets: usage for the commands that have one, otherwise an unknown message. */
const malformed = (text: string): Input => {
  const type = typeOf(text)
  switch (type) {
    case undefined:
      return badMessage("(not a JSON message with a type)")
    case "nick":
    case "join":
    case "msg":
    case "me":
      return Either.left(new Usage({ command: type }))
    default:
      return badMessage(JSON.stringify(type).slice(0, 64))
  }
}

/** The command a decoded message asks for; undefined: nothing (a blank message is ignored, as a blank line). */
export const toCommand = (message: ClientMessage): Input | undefined => {
  switch (message.type) {
    case "say": {
      const text = clean(message.text)
      if (text === "") return undefined
      if (message.room === undefined) return Either.right(Command.Say({ text }))
      return Either.map(parseRoom(message.room), (room) => Command.Say({ text, room }))
    }
    case "me": {
      const text = clean(message.text)
      if (text === "") return Either.left(new Usage({ command: "me" }))
      if (message.room === undefined) return Either.right(Command.Act({ text }))
      return Either.map(parseRoom(message.room), (room) => Command.Act({ text, room }))
    }
    case "nick":
      return message.nick === ""
        ? Either.left(new Usage({ command: "nick" }))
        : Either.map(parseNick(message.nick), (nick) => Command.Rename({ nick }))
    case "join":
      return message.room === ""
        ? Either.left(new Usage({ command: "join" }))
        : Either.map(parseRoom(message.room), (room) => Command.Join({ room, alone: true }))
    case "msg": {
      const text = clean(message.text)
      return message.to === "" || text === ""
        ? Either.left(new Usage({ command: "msg" }))
        : Either.right(Command.Whisper({ to: message.to, text }))
    }
    case "who":
      return Either.right(Command.Who({}))
    case "rooms":
      return Either.right(Command.ListRooms())
    case "quit": {
      const reason = message.message === undefined ? "" : clean(message.message)
      return Either.right(Command.Quit({ message: reason === "" ? undefined : reason }))
    }
    case "help":
      return Either.right(Command.Help())
  }
}

/** One text frame's JSON, as a command or the sender's mistake. */
export const parse = (text: string): Input | undefined => {
  const decoded = WsMessage.decodeClient(text)
  return Either.isRight(decoded) ? toCommand(decoded.right) : malformed(text)
}

// ---------------------------------------------------------------------------
// Errors in words

const usage: Record<Usage["command"], string> = {
  nick: "nick: {\"type\":\"nick\",\"nick\":NAME}",
  join: "join: {\"type\":\"join\",\"room\":ROOM}",
  msg: "msg: {\"type\":\"msg\",\"to\":NICK,\"text\":TEXT}",
  me: "me: {\"type\":\"me\",\"text\":TEXT}"
}

/** Typed commands for the page's box: the same as over `nc`. */
export const typedUsage: Record<Usage["command"], string> = {
  nick: "/nick NAME",
  join: "/join ROOM",
  msg: "/msg NICK TEXT",
  me: "/me TEXT"
}

export const errorMessage = (e: UserError): string => {
  switch (e._tag) {
    case "UnknownCommand":
      return `unknown message ${e.command}`
    case "Usage":
      return `usage: ${typedUsage[e.command]} (${usage[e.command]})`
    case "InvalidNick":
      return `invalid nick ${JSON.stringify(e.input)} (1-24 of A-Z a-z 0-9 _ -, starting with a letter)`
    case "InvalidRoom":
      return `invalid room name ${JSON.stringify(e.input)}`
    case "NickTaken":
      return `nick ${e.nick} is taken`
    case "NoSuchNick":
      return `no such nick ${e.nick}`
    case "AlreadyInRoom":
      return `you are already in #${e.room}`
    case "NotInRoom":
      return e.room === undefined ? "you are in no room (try /join ROOM)" : `you are not in #${e.room}`
    case "NotDelivered":
      return "not delivered: the chat is unreachable, try again"
    case "LineTooLong":
      return `message too long (max ${e.maxBytes} bytes)`
  }
}

export const help: ReadonlyArray<{ readonly usage: string; readonly description: string }> = [
  { usage: "/nick NAME", description: "change your nick" },
  { usage: "/join ROOM", description: "leave your room and enter ROOM (created if needed)" },
  { usage: "/rooms", description: "list the rooms that have people in them" },
  { usage: "/who", description: "list the people in your room" },
  { usage: "/msg NICK TEXT", description: "send a private message" },
  { usage: "/me TEXT", description: "send an action to your room" },
  { usage: "/quit [REASON]", description: "leave the chat" },
  { usage: "/help", description: "show this help (//text sends a message starting with /)" }
]

// ---------------------------------------------------------------------------
// Events and replies

const leftReason = (reason: LeaveReason): LeftReason => {
  switch (reason._tag) {
    case "Quit":
      return reason.message === undefined ? { kind: "quit" } : { kind: "quit", message: reason.message }
    case "Closed":
      return { kind: "closed" }
    case "Idle":
      return { kind: "idle" }
    case "TooSlow":
      return { kind: "tooSlow" }
    case "ShuttingDown":
      return { kind: "shuttingDown" }
    case "ConnectionLost":
      return { kind: "connectionLost" }
    case "Moved":
      return { kind: "moved", to: reason.to }
    case "Parted":
      return reason.message === undefined ? { kind: "parted" } : { kind: "parted", message: reason.message }
  }
}

const spoken = (event: Spoken): WsMessage.Spoken =>
  event._tag === "Said"
    ? { type: "message", room: event.room, nick: event.nick, text: event.text, seq: event.seq }
    : { type: "action", room: event.room, nick: event.nick, text: event.text, seq: event.seq }

export const roomEventMessage = (event: RoomEvent): ServerMessage => {
  switch (event._tag) {
    case "Said":
    case "Acted":
      return spoken(event)
    case "Joined":
      return { type: "joined", room: event.room, nick: event.nick, seq: event.seq }
    case "Left":
      return { type: "left", room: event.room, nick: event.nick, seq: event.seq, reason: leftReason(event.reason) }
    case "Renamed":
      return { type: "renamed", room: event.room, nick: event.nick, to: event.to, seq: event.seq }
    case "TopicSet":
      return { type: "topicSet", room: event.room, nick: event.nick, topic: event.topic, seq: event.seq }
  }
}

const clusterWhat = { HistoryLost: "historyLost", EventsMissed: "eventsMissed", NodeLost: "nodeLost" } as const

/** A reply as a message; undefined for the answers to other protocols' commands (IRC's `PING`, `WHOIS`, `LUSERS`). */
export const replyMessage = (reply: Reply): ServerMessage | undefined => {
  switch (reply._tag) {
    case "Welcome":
      return {
        type: "welcome",
        nick: reply.nick,
        room: reply.room,
        here: reply.here,
        history: reply.history.map(spoken)
      }
    case "Registered":
      return { type: "welcome", nick: reply.nick, history: [] }
    case "Entered":
      return { type: "entered", room: reply.room, members: reply.members, history: reply.history.map(spoken) }
    case "Parted":
      return reply.message === undefined
        ? { type: "parted", room: reply.room }
        : { type: "parted", room: reply.room, message: reply.message }
    case "NickChanged":
      return { type: "nick", nick: reply.nick }
    case "RoomList":
      return { type: "rooms", rooms: reply.rooms }
    case "WhoList":
      return { type: "who", room: reply.room, members: reply.members }
    case "Bye":
      return { type: "bye" }
    case "Help":
      return { type: "help", commands: help }
    case "IdleTimeout":
      return { type: "idle", after: reply.after }
    case "ShuttingDown":
      return { type: "shutdown" }
    case "ServerFull":
      return { type: "full" }
    case "TooManyFromAddress":
      return { type: "tooMany" }
    case "Failed":
      return { type: "error", code: reply.error._tag, message: errorMessage(reply.error) }
    case "ClusterNotice":
      return reply.room === undefined
        ? { type: "cluster", what: clusterWhat[reply.what] }
        : { type: "cluster", what: clusterWhat[reply.what], room: reply.room }
    case "Topic":
      return reply.topic === undefined
        ? { type: "topic", room: reply.room }
        : { type: "topic", room: reply.room, topic: reply.topic }
    case "Pong":
    case "WhoisInfo":
    case "Counts":
    case "AwaySet":
    case "WhoMatched":
    case "OperUp":
    case "Modes":
    case "NotOperator":
      return undefined
  }
}

const line = (message: ServerMessage): string => `${WsMessage.encode(message)}\n`
const one = (message: ServerMessage): Rendered => ({ text: line(message), count: 1 })

export const render: Render = {
  roomEvent: (event) => one(roomEventMessage(event)),
  whisper: (event: Whispered, side) =>
    one({ type: "private", side, from: event.fromNick, to: event.toNick, text: event.text }),
  replies: (replies) => {
    let text = ""
    let count = 0
    for (const reply of replies) {
      const message = replyMessage(reply)
      if (message === undefined) continue
      text += line(message)
      count++
    }
    return { text, count }
  }
}

/**
 * The WebSocket protocol: one JSON message per frame. A client starts in no
 * room, so a page that reconnects takes back its nick and then its room
 * without a stray join and leave in `#lobby`.
 */
export const protocol: WireProtocol = {
  name: "ws",
  framing: "message",
  startIn: undefined,
  parse,
  render,
  binary: binaryFrame
}
