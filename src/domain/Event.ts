/**
 * What happens in the chat, as data: the events the backplane puts in order
 * and each node delivers, and the replies one client gets. Every field is a
 * fact (who, which room, what text, why), never rendered text, so an event
 * can cross Redis or a WebSocket and each protocol renders it in its own
 * words (`Render`).
 *
 * Room events carry `seq`, their number in the room's one order: every
 * member, on every node, sees a room's events in that order.
 */
import { Schema } from "effect"
import type { DisconnectReason, Nick } from "./Domain.js"
import {
  Batch,
  ClientId,
  DisconnectReasonSchema,
  LeaveReasonSchema,
  NickSchema,
  RoomNameSchema,
  UserError,
  UserInfo,
  WhoFormat
} from "./Domain.js"

const roomEvent = {
  /** The client it is about. */
  client: ClientId,
  /** Its nick when it happened. */
  nick: NickSchema,
  room: RoomNameSchema,
  /** Its number in the room's order, from 1. */
  seq: Schema.Number
}

/** A room message. */
export class Said extends Schema.TaggedClass<Said>()("Said", {
  ...roomEvent,
  text: Schema.String,
  /** Sent as a notice (IRC's `NOTICE`). */
  notice: Schema.optional(Schema.Boolean)
}) {}
/** An action (`/me`). */
export class Acted extends Schema.TaggedClass<Acted>()("Acted", { ...roomEvent, text: Schema.String }) {}
/** The client entered the room. */
export class Joined extends Schema.TaggedClass<Joined>()("Joined", roomEvent) {}
/** The client left the room, and why. */
export class Left extends Schema.TaggedClass<Left>()("Left", { ...roomEvent, reason: LeaveReasonSchema }) {}
/** The client, a member of the room, took the nick `to` (`nick` is the old one). */
export class Renamed extends Schema.TaggedClass<Renamed>()("Renamed", { ...roomEvent, to: NickSchema }) {}

/** A member set the room's topic (`topic` empty: cleared it). */
export class TopicSet extends Schema.TaggedClass<TopicSet>()("TopicSet", { ...roomEvent, topic: Schema.String }) {}

/** What a room keeps for newcomers. */
export const Spoken = Schema.Union(Said, Acted)
export type Spoken = typeof Spoken.Type

export const RoomEvent = Schema.Union(Said, Acted, Joined, Left, Renamed, TopicSet)
export type RoomEvent = typeof RoomEvent.Type

/** A private message, seen by both ends. */
export class Whispered extends Schema.TaggedClass<Whispered>()("Whispered", {
  from: ClientId,
  fromNick: NickSchema,
  to: ClientId,
  toNick: NickSchema,
  text: Schema.String,
  /** The recipient is away, with this message (IRC tells the sender). */
  away: Schema.optional(Schema.String)
}) {}

// ---------------------------------------------------------------------------
// Replies: for one client only.

const roomCount = Schema.Struct({ room: RoomNameSchema, members: Schema.Number })
/**
 * What a member said of itself, if anything; encoded as `null` when nothing,
 * since JSON (a cluster's Redis) cannot hold `undefined` in an array.
 */
const infoOrNone = Schema.transform(Schema.NullOr(UserInfo), Schema.UndefinedOr(UserInfo), {
  strict: true,
  decode: (info) => info ?? undefined,
  encode: (info) => info ?? null
})
/** The size of the chat: clients connected, rooms with someone in them. */
const users = Schema.Struct({ clients: Schema.Number, rooms: Schema.Number })

export const Reply = Schema.Union(
  /** On connect, when the client starts in a room: `here` counts it too. */
  Schema.TaggedStruct("Welcome", {
    nick: NickSchema,
    room: RoomNameSchema,
    here: Schema.Number,
    history: Schema.Array(Spoken)
  }),
  /** On connect, when the client starts in no room; `users` counts the client too. */
  Schema.TaggedStruct("Registered", { nick: NickSchema, users: Schema.optional(users) }),
  /** The client entered a room: its members (the client among them, sorted) and its history. */
  Schema.TaggedStruct("Entered", {
    /** The room's topic, if it has one. */
    topic: Schema.optional(Schema.String),
    room: RoomNameSchema,
    members: Schema.Array(NickSchema),
    history: Schema.Array(Spoken),
    /** The members who are the room's operators (see `Join`'s `claim`), sorted; absent: none. */
    operators: Schema.optional(Schema.Array(NickSchema)),
    /** The room is secret (mode `s`); absent: not. */
    secret: Schema.optional(Schema.Boolean)
  }),
  /** The client left a room on its own (IRC's `PART`). */
  Schema.TaggedStruct("Parted", { room: RoomNameSchema, message: Schema.UndefinedOr(Schema.String) }),
  /** The client's nick is now `nick`; `from`: the one it had, if it changed. */
  Schema.TaggedStruct("NickChanged", { nick: NickSchema, from: Schema.optional(NickSchema) }),
  /** Rooms with at least one member, sorted by name. */
  Schema.TaggedStruct("RoomList", {
    rooms: Schema.Array(roomCount),
    /** As `ListRooms` asked: only the rooms it lets through are shown; absent: all. */
    filter: Schema.optional(Schema.String)
  }),
  /** A room's members, sorted; `full` as the `Who` command asked. */
  Schema.TaggedStruct("WhoList", {
    room: RoomNameSchema,
    members: Schema.Array(NickSchema),
    full: Schema.optional(Schema.Boolean),
    /** With `full`: whether each member is away. */
    away: Schema.optional(Schema.Array(Schema.Boolean)),
    /** With `full`: what each member (in the order of `members`) said of itself, if anything. */
    infos: Schema.optional(Schema.Array(infoOrNone)),
    /** The members who are the room's operators, sorted; absent: none. */
    operators: Schema.optional(Schema.Array(NickSchema)),
    /** With `full`: the members who are IRC operators (`Oper`); absent: none. */
    opers: Schema.optional(Schema.Array(NickSchema)),
    /** The room is secret (mode `s`); absent: not. */
    secret: Schema.optional(Schema.Boolean),
    /** As `Who` asked: the fields to show. */
    format: Schema.optional(WhoFormat),
    /** As `Who` asked: one room of a query of several. */
    batch: Schema.optional(Batch)
  }),
  /** Answer to `WhoMask`: the clients whose nick matches, sorted, at most `maxWhoMatches`, as `WhoList` with `full`. */
  Schema.TaggedStruct("WhoMatched", {
    mask: Schema.String,
    members: Schema.Array(NickSchema),
    away: Schema.Array(Schema.Boolean),
    infos: Schema.Array(infoOrNone),
    /** The members who are IRC operators; absent: none. */
    opers: Schema.optional(Schema.Array(NickSchema)),
    /** As `WhoMask` asked: the fields to show. */
    format: Schema.optional(WhoFormat)
  }),
  /** Answer to `Oper`: the client is now an IRC operator. */
  Schema.TaggedStruct("OperUp", {}),
  /**
   * Answer to `Mode`: the modes of `room` (or, without it, the client's own) as letters, sorted;
   * `added` and `removed`: what this command changed, when it changed something.
   */
  Schema.TaggedStruct("Modes", {
    room: Schema.optional(RoomNameSchema),
    modes: Schema.String,
    added: Schema.optional(Schema.String),
    removed: Schema.optional(Schema.String)
  }),
  /** Refused: only the room's operators may do that (change its modes; set the topic of a `t` room). */
  Schema.TaggedStruct("NotOperator", { room: RoomNameSchema }),
  /** Answer to quitting. */
  Schema.TaggedStruct("Bye", {}),
  /** The protocol's list of commands. */
  Schema.TaggedStruct("Help", {}),
  /** Disconnected for silence; `after` as the operator wrote it (`10m`). */
  Schema.TaggedStruct("IdleTimeout", { after: Schema.String }),
  /** The client's server is going away. */
  Schema.TaggedStruct("ShuttingDown", {}),
  /** The server takes no more connections. */
  Schema.TaggedStruct("ServerFull", {}),
  /** The client's address already has as many connections open as it may (`--max-per-address`). */
  Schema.TaggedStruct("TooManyFromAddress", {}),
  /** The user's mistake. */
  Schema.TaggedStruct("Failed", { error: UserError }),
  /**
   * In a cluster: the room's history was lost (Redis restarted empty), some
   * of its events could not be delivered, or this node lost the cluster
   * (its clients are dropped and reconnect).
   */
  Schema.TaggedStruct("ClusterNotice", {
    what: Schema.Literal("HistoryLost", "EventsMissed", "NodeLost"),
    room: Schema.UndefinedOr(RoomNameSchema)
  }),
  /** Answer to `Ping`. */
  Schema.TaggedStruct("Pong", { token: Schema.String }),
  /** Answer to `Whois`: the nick as its owner spells it, and its rooms; `rooms` undefined: no such nick. */
  Schema.TaggedStruct("WhoisInfo", {
    nick: Schema.String,
    rooms: Schema.UndefinedOr(Schema.Array(RoomNameSchema)),
    info: Schema.optional(UserInfo),
    /** Its away message, if it is away. */
    away: Schema.optional(Schema.String),
    /** As the `Whois` command asked: a one-line answer (IRC's `WHO nick`). */
    brief: Schema.optional(Schema.Boolean),
    /** The rooms (of `rooms`) it is an operator of; absent: none. */
    operatorOf: Schema.optional(Schema.Array(RoomNameSchema)),
    /** It is an IRC operator (`Oper`); absent: not. */
    oper: Schema.optional(Schema.Boolean),
    /** As `Whois` asked: the fields to show. */
    format: Schema.optional(WhoFormat)
  }),
  /** A room's topic (undefined: none); `changed`: the client has just set it. */
  Schema.TaggedStruct("Topic", {
    room: RoomNameSchema,
    topic: Schema.UndefinedOr(Schema.String),
    changed: Schema.optional(Schema.Boolean)
  }),
  /** Answer to `Away`: the client is now away, or back. */
  Schema.TaggedStruct("AwaySet", { away: Schema.Boolean }),
  /** Answer to `Lusers`. */
  Schema.TaggedStruct("Counts", { users })
)
export type Reply = typeof Reply.Type

/** Replies to one client, in order with everything else it sees; `close` then ends its connection. */
export class Replied extends Schema.TaggedClass<Replied>()("Replied", {
  client: ClientId,
  /** The client's nick once the replies are applied, for protocols that name it in every reply (IRC). */
  nick: Schema.optional(NickSchema),
  replies: Schema.Array(Reply),
  close: Schema.UndefinedOr(DisconnectReasonSchema)
}) {}

export const Event = Schema.Union(Said, Acted, Joined, Left, Renamed, TopicSet, Whispered, Replied)
export type Event = typeof Event.Type

// ---------------------------------------------------------------------------
// Showing events to one client

/** Text ready to write: `count` messages of the protocol (lines, or JSON messages one per line). */
export interface Rendered {
  readonly text: string
  readonly count: number
}

/**
 * How one protocol shows events to a client. A node renders each room event
 * once per protocol, not once per recipient, so what a member sees of a room
 * event may not depend on who the member is.
 */
export interface Render {
  /** What the other members of the room see; undefined: nothing. */
  readonly roomEvent: (event: RoomEvent) => Rendered | undefined
  /**
   * Whether a client this event reaches in several rooms sees it once (IRC
   * shows a quit and a rename once, whatever rooms they share); absent:
   * once per room. Asked only of `Joined`, `Left` and `Renamed`.
   */
  readonly oncePerClient?: (event: RoomEvent) => boolean
  /** What the recipient (`received`) or the sender sees of a private message. */
  readonly whisper: (event: Whispered, side: "received" | "sent") => Rendered
  /** Replies to one client, whose nick is `nick` when known. */
  readonly replies: (replies: ReadonlyArray<Reply>, nick?: Nick) => Rendered
}

/** Where a node puts what one client is to see. */
export interface Sink {
  /**
   * Text to write: `count` messages. What one event gives a client comes in
   * one call, so a bound on messages can treat it as a whole. `canWait`: a
   * notice about someone else, which may wait a few milliseconds to share a
   * write with others.
   */
  readonly write: (text: string, count: number, canWait?: boolean) => void
  /** After everything written so far: end the connection with `reason`. */
  readonly close: (reason: DisconnectReason) => void
}
