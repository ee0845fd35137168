/**
 * The chat's vocabulary: names, client identities, why a connection ends, and
 * the mistakes a user can make. Nothing here knows the wire format; `Reply`
 * renders these values as lines.
 */
import { Brand, Data, Either } from "effect"

/** Identifies one connection for its whole life, even across renames. */
export type ClientId = number

/** A nick as the user typed it: 1–24 of `A-Z a-z 0-9 _ -`, starting with a letter. */
export type Nick = string & Brand.Brand<"Nick">

/** A room name as first created, without `#`: 1–32 of `A-Z a-z 0-9 _ -`. */
export type RoomName = string & Brand.Brand<"RoomName">

/**
 * Nicks and rooms are unique without regard to case, so state is keyed by the
 * lower-cased name while the display keeps the case it was given.
 */
export type NameKey = string & Brand.Brand<"NameKey">

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

export const keyOf = (name: Nick | RoomName): NameKey => name.toLowerCase() as NameKey

/** The room every client starts in. */
export const lobby = RoomName("lobby")

/** `guest-N` for the lowest free N: see `HubState` for how N is found. */
export const guestNick = (n: number): Nick => Nick(`guest-${n}`)

/** The N of a canonical guest nick key (`guest-7` → 7), so a freed number can be reused. */
export const guestNumber = (key: NameKey): number | undefined => {
  const match = /^guest-([1-9][0-9]*)$/.exec(key)
  return match === null ? undefined : Number(match[1])
}

/** Why a connection ended. Ending a connection is not an error. */
export type DisconnectReason = Data.TaggedEnum<{
  /** The client sent `/quit`, maybe with a reason. */
  Quit: { readonly message: string | undefined }
  /** End of stream, a reset, or any socket error. */
  Closed: {}
  /** No line arrived for the idle timeout. */
  Idle: {}
  /** The client's backlog passed `--max-queue`. */
  TooSlow: {}
  /** The server is stopping; nobody gets leave notices. */
  ShuttingDown: {}
}>
export const DisconnectReason = Data.taggedEnum<DisconnectReason>()

// ---------------------------------------------------------------------------
// User mistakes: rendered as `!` lines, they never close a connection.

export class UnknownCommand extends Data.TaggedError("UnknownCommand")<{ readonly command: string }> {}
export class Usage extends Data.TaggedError("Usage")<{ readonly usage: string }> {}
export class InvalidNick extends Data.TaggedError("InvalidNick")<{ readonly input: string }> {}
export class InvalidRoom extends Data.TaggedError("InvalidRoom")<{ readonly input: string }> {}
export class NickTaken extends Data.TaggedError("NickTaken")<{ readonly nick: Nick }> {}
export class NoSuchNick extends Data.TaggedError("NoSuchNick")<{ readonly nick: string }> {}
export class AlreadyInRoom extends Data.TaggedError("AlreadyInRoom")<{ readonly room: RoomName }> {}
export class LineTooLong extends Data.TaggedError("LineTooLong")<{ readonly maxBytes: number }> {}

export type UserError =
  | UnknownCommand
  | Usage
  | InvalidNick
  | InvalidRoom
  | NickTaken
  | NoSuchNick
  | AlreadyInRoom
  | LineTooLong

export const parseNick = (input: string): Either.Either<Nick, InvalidNick> =>
  nickPattern.test(input) ? Either.right(input as Nick) : Either.left(new InvalidNick({ input }))

export const parseRoom = (input: string): Either.Either<RoomName, InvalidRoom> => {
  const bare = input.startsWith("#") ? input.slice(1) : input
  return roomPattern.test(bare) ? Either.right(bare as RoomName) : Either.left(new InvalidRoom({ input }))
}
