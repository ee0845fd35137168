/**
 * The WebSocket protocol's messages: one JSON object per frame, told apart
 * by `type`. Both ends import these Schemas (the server in `WsProtocol.ts`,
 * the page in `src/web/page/`), so a message the server sends is a message
 * the page can decode, and the other way round; PROTOCOL.md documents them.
 *
 * Names and room names travel as plain strings (rooms without their `#`):
 * the server validates what it receives, and what it sends is already valid.
 */
import { Schema } from "effect"

// ---------------------------------------------------------------------------
// Client → server: the commands a browser (or any WebSocket client) sends.

/** A room message; `room` absent: the room the client is in. */
export const Say = Schema.Struct({
  type: Schema.Literal("say"),
  text: Schema.String,
  room: Schema.optional(Schema.String)
})
/** An action, `/me`. */
export const Me = Schema.Struct({
  type: Schema.Literal("me"),
  text: Schema.String,
  room: Schema.optional(Schema.String)
})
export const NickCommand = Schema.Struct({ type: Schema.Literal("nick"), nick: Schema.String })
/** Leave your room and enter `room`, one room at a time as over the line protocol. */
export const Join = Schema.Struct({ type: Schema.Literal("join"), room: Schema.String })
/** A private message. */
export const Msg = Schema.Struct({ type: Schema.Literal("msg"), to: Schema.String, text: Schema.String })
export const Who = Schema.Struct({ type: Schema.Literal("who") })
export const Rooms = Schema.Struct({ type: Schema.Literal("rooms") })
export const Quit = Schema.Struct({ type: Schema.Literal("quit"), message: Schema.optional(Schema.String) })
export const HelpCommand = Schema.Struct({ type: Schema.Literal("help") })

export const ClientMessage = Schema.Union(Say, Me, NickCommand, Join, Msg, Who, Rooms, Quit, HelpCommand)
export type ClientMessage = typeof ClientMessage.Type

/** Every `type` a client may send. */
export const clientTypes: ReadonlyArray<ClientMessage["type"]> = [
  "say",
  "me",
  "nick",
  "join",
  "msg",
  "who",
  "rooms",
  "quit",
  "help"
]

// ---------------------------------------------------------------------------
// Server → client

/** A room message; also an item of a room's history. */
export const Message = Schema.Struct({
  type: Schema.Literal("message"),
  room: Schema.String,
  nick: Schema.String,
  text: Schema.String,
  /** Its number in the room's order. */
  seq: Schema.Number
})
/** An action (`/me`); also an item of a room's history. */
export const Action = Schema.Struct({
  type: Schema.Literal("action"),
  room: Schema.String,
  nick: Schema.String,
  text: Schema.String,
  seq: Schema.Number
})
export const Spoken = Schema.Union(Message, Action)
export type Spoken = typeof Spoken.Type

/** A private message: `received` from `from`, or your own copy, `sent` to `to`. */
export const Private = Schema.Struct({
  type: Schema.Literal("private"),
  side: Schema.Literal("received", "sent"),
  from: Schema.String,
  to: Schema.String,
  text: Schema.String
})

/** Why someone left a room. */
export const LeftReason = Schema.Struct({
  kind: Schema.Literal("quit", "closed", "idle", "tooSlow", "shuttingDown", "connectionLost", "moved", "parted"),
  /** A quit or part message. */
  message: Schema.optional(Schema.String),
  /** `moved`: the room they went to. */
  to: Schema.optional(Schema.String)
})
export type LeftReason = typeof LeftReason.Type

export const Joined = Schema.Struct({
  type: Schema.Literal("joined"),
  room: Schema.String,
  nick: Schema.String,
  seq: Schema.Number
})
export const Left = Schema.Struct({
  type: Schema.Literal("left"),
  room: Schema.String,
  nick: Schema.String,
  seq: Schema.Number,
  reason: LeftReason
})
/** `nick` is now `to`. */
export const Renamed = Schema.Struct({
  type: Schema.Literal("renamed"),
  room: Schema.String,
  nick: Schema.String,
  to: Schema.String,
  seq: Schema.Number
})

/** On connect: your nick. A WebSocket client starts in no room (send `join`). */
export const Welcome = Schema.Struct({
  type: Schema.Literal("welcome"),
  nick: Schema.String,
  room: Schema.optional(Schema.String),
  here: Schema.optional(Schema.Number),
  history: Schema.Array(Spoken)
})
/** You entered `room`: its members (you among them, sorted) and its recent history. */
export const Entered = Schema.Struct({
  type: Schema.Literal("entered"),
  room: Schema.String,
  members: Schema.Array(Schema.String),
  history: Schema.Array(Spoken)
})
/** You left `room` on your own. */
export const Parted = Schema.Struct({
  type: Schema.Literal("parted"),
  room: Schema.String,
  message: Schema.optional(Schema.String)
})
/** Your nick is now `nick`. */
export const NickChanged = Schema.Struct({ type: Schema.Literal("nick"), nick: Schema.String })
/** Rooms with at least one member, sorted by name. */
export const RoomList = Schema.Struct({
  type: Schema.Literal("rooms"),
  rooms: Schema.Array(Schema.Struct({ room: Schema.String, members: Schema.Number }))
})
/** A room's members, sorted. */
export const WhoList = Schema.Struct({
  type: Schema.Literal("who"),
  room: Schema.String,
  members: Schema.Array(Schema.String)
})
export const Bye = Schema.Struct({ type: Schema.Literal("bye") })
export const Help = Schema.Struct({
  type: Schema.Literal("help"),
  commands: Schema.Array(Schema.Struct({ usage: Schema.String, description: Schema.String }))
})
/** Disconnected for silence; `after` as the operator wrote it (`10m`). */
export const Idle = Schema.Struct({ type: Schema.Literal("idle"), after: Schema.String })
export const ShuttingDown = Schema.Struct({ type: Schema.Literal("shutdown") })
export const ServerFull = Schema.Struct({ type: Schema.Literal("full") })
/** Someone set the room's topic (from IRC's `TOPIC`). */
export const TopicSet = Schema.Struct({
  type: Schema.Literal("topicSet"),
  room: Schema.String,
  nick: Schema.String,
  topic: Schema.String,
  seq: Schema.Number
})
/** The room's topic, as asked; absent: none is set. */
export const Topic = Schema.Struct({
  type: Schema.Literal("topic"),
  room: Schema.String,
  topic: Schema.optional(Schema.String)
})
/** Refused: this address has too many connections open (`--max-per-address`). */
export const TooMany = Schema.Struct({ type: Schema.Literal("tooMany") })
/**
 * In a cluster: a room's history was lost (Redis restarted empty), some of
 * its events could not be delivered, or this server lost the cluster (it
 * closes, the page reconnects).
 */
export const Cluster = Schema.Struct({
  type: Schema.Literal("cluster"),
  what: Schema.Literal("historyLost", "eventsMissed", "nodeLost"),
  room: Schema.optional(Schema.String)
})
/** Your mistake; `code` names it (`NickTaken`, `LineTooLong`...), `message` says it in words. */
export const ErrorMessage = Schema.Struct({
  type: Schema.Literal("error"),
  code: Schema.String,
  message: Schema.String
})

export const ServerMessage = Schema.Union(
  Message,
  Action,
  Private,
  Joined,
  Left,
  Renamed,
  Welcome,
  Entered,
  Parted,
  NickChanged,
  RoomList,
  WhoList,
  Bye,
  Help,
  Idle,
  ShuttingDown,
  ServerFull,
  TooMany,
  Cluster,
  TopicSet,
  Topic,
  ErrorMessage
)
export type ServerMessage = typeof ServerMessage.Type

/** Decodes one frame's text from the server; for the page and for tests. */
export const decodeServer = Schema.decodeUnknownEither(Schema.parseJson(ServerMessage))
/** Decodes one frame's text from a client. */
export const decodeClient = Schema.decodeUnknownEither(Schema.parseJson(ClientMessage))
/** One message as a frame's text: JSON never holds a raw newline, so frames can be joined by `\n`. */
export const encode = (message: ServerMessage | ClientMessage): string => JSON.stringify(message)

/** Just a message's `type`, to say what was wrong with one that did not decode. */
export const decodeTyped = Schema.decodeUnknownEither(Schema.parseJson(Schema.Struct({ type: Schema.String })))
