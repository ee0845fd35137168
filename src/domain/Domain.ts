/**
 * The chat's vocabulary: names, client identities, why a connection ends, and
 * the mistakes a user can make. Values, not text: each protocol renders them
 * in its own words (`protocol/line/LineProtocol.ts` for the line protocol).
 *
 * The types that cross a node's boundary (to Redis, to a browser) are
 * Schemas, so they can be encoded; the rest are plain types.
 */
import { Brand, Data, Either, Schema } from "effect"

/** Identifies one connection for its whole life, even across renames, unique across the cluster. */
export type ClientId = number
export const ClientId = Schema.Number

/** A nick as the user typed it: 1–24 of `A-Z a-z 0-9 _ -`, starting with a letter. */
export type Nick = string & Brand.Brand<"Nick">

/** A room name as first created, without `#`: 1–32 of `A-Z a-z 0-9 _ -`. */
export type RoomName = string & Brand.Brand<"RoomName">

/**
 * Nicks and rooms are unique without regard to case, so state is keyed by the
 * lower-cased name while the display keeps the case it was given.
 */
export type NameKey = string & Brand.Brand<"NameKey">

/** The longest nick, in characters (IRC's `NICKLEN`). */
export const maxNickLength = 24
/** The longest room name, in characters without `#` (IRC's `CHANNELLEN` counts the `#`). */
export const maxRoomLength = 32

const nickPattern = /^[A-Za-z][A-Za-z0-9_-]{0,23}$/
const roomPattern = /^[A-Za-z0-9_-]{1,32}$/

export const Nick = Brand.refined<Nick>(
  (input) => nickPattern.test(input),
  (input) => Brand.error(`invalid nick ${JSON.stringify(input)}`)
)

export const RoomName = Brand.refined<RoomName>(
  (input) => roomPattern.test(input),
  (input) => Brand.error(`invalid room name ${JSON.stringify(input)}`)
)

export const NickSchema: Schema.Schema<Nick, string> = Schema.String.pipe(Schema.fromBrand(Nick))
export const RoomNameSchema: Schema.Schema<RoomName, string> = Schema.String.pipe(Schema.fromBrand(RoomName))

/**
 * What a client says of itself besides its nick (IRC's `USER`: a user name
 * and a real name), shown to others by `WHOIS` and `WHO`. Free text, cleaned.
 */
export const UserInfo = Schema.Struct({ user: Schema.String, realname: Schema.String })
export type UserInfo = typeof UserInfo.Type

/**
 * How a `WHO` answer is to be shown, as the client asked (IRC's WHOX, `WHO
 * target %fields,token`): the fields, in WHOX's letters, and the token that
 * field `t` shows. The hub carries it from the command to its answer.
 */
export const WhoFormat = Schema.Struct({ fields: Schema.String, token: Schema.String })
export type WhoFormat = typeof WhoFormat.Type

/**
 * One of several rooms asked about in one query (IRC's `NAMES #a,#b`): the
 * query as written, and whether this room is the last, whose answer ends the
 * whole query. The hub carries it from the command to its answer.
 */
export const Batch = Schema.Struct({ query: Schema.String, last: Schema.Boolean })
export type Batch = typeof Batch.Type

export const keyOf = (name: Nick | RoomName): NameKey => name.toLowerCase() as NameKey

/** The room a line-protocol client starts in. */
export const lobby = RoomName("lobby")

/** `guest-N` for the lowest free N: see `HubState` for how N is found. */
export const guestNick = (n: number): Nick => Nick(`guest-${n}`)

/** The N of a canonical guest nick key (`guest-7` → 7), so a freed number can be reused. */
export const guestNumber = (key: NameKey): number | undefined => {
  const match = /^guest-([1-9][0-9]*)$/.exec(key)
  return match === null ? undefined : Number(match[1])
}

// ---------------------------------------------------------------------------
// Why a connection ends: not an error.

export const DisconnectReasonSchema = Schema.Union(
  /** The client quit, maybe with a reason. */
  Schema.TaggedStruct("Quit", { message: Schema.UndefinedOr(Schema.String) }),
  /** End of stream, a reset, or any socket error. */
  Schema.TaggedStruct("Closed", {}),
  /** No line arrived for the idle timeout. */
  Schema.TaggedStruct("Idle", {}),
  /** The client's backlog passed `--max-queue`. */
  Schema.TaggedStruct("TooSlow", {}),
  /** Its server is stopping. */
  Schema.TaggedStruct("ShuttingDown", {}),
  /** Its node died (in a cluster): another node released it. */
  Schema.TaggedStruct("ConnectionLost", {})
)
export type DisconnectReason = typeof DisconnectReasonSchema.Type
/** Constructors: `DisconnectReason.Quit({ message })`, `DisconnectReason.Idle()`. */
export const DisconnectReason = Data.taggedEnum<DisconnectReason>()

/** Why someone left a room: they disconnected, moved to another room, or left it alone. */
export const LeaveReasonSchema = Schema.Union(
  DisconnectReasonSchema,
  /** The line protocol's `/join`: one room at a time. */
  Schema.TaggedStruct("Moved", { to: RoomNameSchema }),
  /** Left this room only (IRC's `PART`). */
  Schema.TaggedStruct("Parted", { message: Schema.UndefinedOr(Schema.String) })
)
export type LeaveReason = typeof LeaveReasonSchema.Type

export const quit = (message: string | undefined): DisconnectReason => ({ _tag: "Quit", message })
export const closed: DisconnectReason = { _tag: "Closed" }
export const idle: DisconnectReason = { _tag: "Idle" }
export const tooSlow: DisconnectReason = { _tag: "TooSlow" }
export const shuttingDown: DisconnectReason = { _tag: "ShuttingDown" }
export const connectionLost: DisconnectReason = { _tag: "ConnectionLost" }

// ---------------------------------------------------------------------------
// User mistakes: each protocol renders them (the line protocol as `!` lines);
// they never close a connection.

export class UnknownCommand extends Schema.TaggedError<UnknownCommand>()("UnknownCommand", {
  /** As typed, with its `/`. */
  command: Schema.String
}) {}

/** The commands whose arguments a user can get wrong. */
export const UsageOf = Schema.Literal("nick", "join", "msg", "me")
export type UsageOf = typeof UsageOf.Type

/** A command without the arguments it needs; `command` names it. */
export class Usage extends Schema.TaggedError<Usage>()("Usage", { command: UsageOf }) {}

export class InvalidNick extends Schema.TaggedError<InvalidNick>()("InvalidNick", { input: Schema.String }) {}
export class InvalidRoom extends Schema.TaggedError<InvalidRoom>()("InvalidRoom", { input: Schema.String }) {}
/** `nick` is spelled as its owner spelled it. */
export class NickTaken extends Schema.TaggedError<NickTaken>()("NickTaken", { nick: NickSchema }) {}
export class NoSuchNick extends Schema.TaggedError<NoSuchNick>()("NoSuchNick", { nick: Schema.String }) {}
export class AlreadyInRoom extends Schema.TaggedError<AlreadyInRoom>()("AlreadyInRoom", { room: RoomNameSchema }) {}
/** Speaking or leaving where you are not; `room` undefined: you are in no room at all (or, speaking, in several). */
export class NotInRoom extends Schema.TaggedError<NotInRoom>()("NotInRoom", {
  room: Schema.UndefinedOr(RoomNameSchema),
  /** The room does not exist at all (IRC tells `403` rather than `442`). */
  missing: Schema.optional(Schema.Boolean)
}) {}
/** The chat could not take the line (in a cluster: Redis unreachable); it was not delivered. */
export class NotDelivered extends Schema.TaggedError<NotDelivered>()("NotDelivered", {}) {}
export class LineTooLong extends Schema.TaggedError<LineTooLong>()("LineTooLong", { maxBytes: Schema.Number }) {}

export const UserError = Schema.Union(
  UnknownCommand,
  Usage,
  InvalidNick,
  InvalidRoom,
  NickTaken,
  NoSuchNick,
  AlreadyInRoom,
  NotInRoom,
  NotDelivered,
  LineTooLong
)
export type UserError = typeof UserError.Type

export const parseNick = (input: string): Either.Either<Nick, InvalidNick> =>
  nickPattern.test(input) ? Either.right(input as Nick) : Either.left(new InvalidNick({ input }))

/** A room name, with or without its `#`. */
export const parseRoom = (input: string): Either.Either<RoomName, InvalidRoom> => {
  const bare = input.startsWith("#") ? input.slice(1) : input
  return roomPattern.test(bare) ? Either.right(bare as RoomName) : Either.left(new InvalidRoom({ input }))
}

// ---------------------------------------------------------------------------
// Cleaning relayed text, whatever protocol carried it.

// C0 controls except TAB, DEL, and C1 controls: enough to stop anyone sending
// terminal escape sequences to other people's terminals.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g
const trailingWhitespace = /\p{White_Space}+$/u

/**
 * Removes control characters and trailing white space. Idempotent, and keeps
 * every other character (emoji, CJK, combining marks). An empty result means
 * the line is to be ignored.
 */
export const clean = (text: string): string => text.replace(controlCharacters, "").replace(trailingWhitespace, "")
