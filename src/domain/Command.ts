/**
 * What a client asks for, whatever protocol it spoke: each protocol parses
 * its own syntax into these (the line protocol's `/nick NAME`, IRC's
 * `NICK name`, a browser's JSON), and the hub applies them.
 */
import type { Either } from "effect"
import { Data } from "effect"
import type { Batch, Nick, RoomName, UserError, WhoFormat } from "./Domain.js"

export type Command = Data.TaggedEnum<{
  /** A room message; `room` undefined: the one room the client is in. */
  Say: {
    readonly text: string
    readonly room?: RoomName | undefined
    /** Sent as a notice (IRC's `NOTICE`: no automatic reply is expected); other protocols show a message. */
    readonly notice?: boolean | undefined
  }
  /** An action (`/me`); `room` as for `Say`. */
  Act: { readonly text: string; readonly room?: RoomName | undefined }
  Rename: { readonly nick: Nick }
  /** Enter `room`; `alone`: leave every other room first (the line protocol's one room at a time). */
  Join: {
    readonly room: RoomName
    readonly alone: boolean
    /** The client becomes the operator of the room if it creates it (IRC's channel creator, shown `@nick`). */
    readonly claim?: boolean | undefined
  }
  /** Leave one room. */
  Part: { readonly room: RoomName; readonly message: string | undefined }
  ListRooms: {}
  /**
   * `ListRooms`, showing only the rooms `filter` lets through, in the asking protocol's words (IRC's ELIST:
   * `#ch*,!#x*,>3`): the hub carries it into `RoomList`, and the protocol applies it as it renders the list.
   */
  ListFiltered: { readonly filter: string }
  /** The members of `room`; undefined: the one room the client is in. `full`: with details (IRC's `WHO`). */
  Who: {
    readonly room?: RoomName | undefined
    readonly full?: boolean | undefined
    /** With `full`: the fields to show (IRC's WHOX), carried into `WhoList`. */
    readonly format?: WhoFormat | undefined
    /** One room of a query of several (IRC's `NAMES #a,#b`), carried into `WhoList`. */
    readonly batch?: Batch | undefined
  }
  /** A private message; the nick is looked up when applied. */
  Whisper: { readonly to: string; readonly text: string }
  Quit: { readonly message: string | undefined }
  Help: {}
  /** A keep-alive that wants an answer in order with everything else (IRC's `PING`). */
  Ping: { readonly token: string }
  /** What is known of a nick: its rooms (IRC's `WHOIS`); the nick is looked up when applied. */
  Whois: {
    readonly nick: string
    readonly brief?: boolean | undefined
    /** With `brief`: the fields to show (IRC's `WHO nick %fields`), carried into `WhoisInfo`. */
    readonly format?: WhoFormat | undefined
  }
  /** `room`'s topic: asked for (`text` undefined), or set (`""` clears it) by a member (IRC's `TOPIC`). */
  Topic: { readonly room: RoomName; readonly text?: string | undefined }
  /** Marks the client away with `message`, or back (undefined) (IRC's `AWAY`). */
  Away: { readonly message: string | undefined }
  /** How many clients and rooms the chat has (IRC's `LUSERS`). */
  Lusers: {}
  /** The client is an IRC operator from now on: its session checked its credentials (IRC's `OPER`). */
  Oper: {}
  /** Everyone whose nick matches `mask` (`*` any run, `?` any one character; IRC's `WHO coolni*`). */
  WhoMask: {
    readonly mask: string
    /** The fields to show (IRC's WHOX), carried into `WhoMatched`. */
    readonly format?: WhoFormat | undefined
  }
  /**
   * Modes (IRC's `MODE`), asked for (`add` and `remove` undefined) or changed: a room's (`t`: only its
   * operators set the topic; `s`: secret, listed to its members only), changed by its operators; or,
   * without `room`, the client's own (`i`: invisible, found by a `WhoMask` only by who shares a room).
   */
  Mode: {
    readonly room?: RoomName | undefined
    readonly add?: string | undefined
    readonly remove?: string | undefined
  }
}>
export const Command = Data.taggedEnum<Command>()

/** A line as a connection read it: a command, or the user's mistake. */
export type Input = Either.Either<Command, UserError>
