/**
 * What a line asks for, apart from how it is applied. Pure: a cleaned,
 * non-empty line in, a `Command` or the user's mistake out.
 */
import { Data, Either } from "effect"
import type { Nick, RoomName , InvalidNick, InvalidRoom} from "./Domain.js"
import { parseNick, parseRoom, UnknownCommand, Usage } from "./Domain.js"
import * as Reply from "./Reply.js"

export type Command = Data.TaggedEnum<{
  /** A room message. */
  Say: { readonly text: string }
  /** `/me TEXT` */
  Act: { readonly text: string }
  /** `/nick NAME` */
  Rename: { readonly nick: Nick }
  /** `/join ROOM` */
  Join: { readonly room: RoomName }
  /** `/rooms` */
  ListRooms: {}
  /** `/who` */
  Who: {}
  /** `/msg NICK TEXT`; the nick is looked up when applied. */
  Whisper: { readonly to: string; readonly text: string }
  /** `/quit [REASON]` */
  Quit: { readonly message: string | undefined }
  /** `/help` */
  Help: {}
}>
export const Command = Data.taggedEnum<Command>()

export type ParseError = UnknownCommand | Usage | InvalidNick | InvalidRoom

const leadingBlanks = /^[ \t]+/

/** Splits off the first word; the rest loses the blanks that separated it. */
const splitWord = (text: string): readonly [string, string] => {
  const match = /[ \t]/.exec(text)
  return match === null
    ? [text, ""]
    : [text.slice(0, match.index), text.slice(match.index).replace(leadingBlanks, "")]
}

const required = (
  argument: string,
  usage: string
): Either.Either<string, Usage> => argument === "" ? Either.left(new Usage({ usage })) : Either.right(argument)

/**
 * Parses one line. The line has been cleaned (no control characters except
 * TAB, no trailing white space) and is not empty.
 */
export const parse = (line: string): Either.Either<Command, ParseError> => {
  if (!line.startsWith("/")) return Either.right(Command.Say({ text: line }))
  // `//text` is the room message `/text`.
  if (line.startsWith("//")) return Either.right(Command.Say({ text: line.slice(1) }))
  const [word, rest] = splitWord(line)
  switch (word.slice(1).toLowerCase()) {
    case "nick":
      return required(rest, Reply.usage.nick).pipe(
        Either.flatMap(parseNick),
        Either.map((nick) => Command.Rename({ nick }))
      )
    case "join":
      return required(rest, Reply.usage.join).pipe(
        Either.flatMap(parseRoom),
        Either.map((room) => Command.Join({ room }))
      )
    case "rooms":
      return Either.right(Command.ListRooms())
    case "who":
      return Either.right(Command.Who())
    case "msg": {
      const [to, text] = splitWord(rest)
      return to === "" || text === ""
        ? Either.left(new Usage({ usage: Reply.usage.msg }))
        : Either.right(Command.Whisper({ to, text }))
    }
    case "me":
      return required(rest, Reply.usage.me).pipe(Either.map((text) => Command.Act({ text })))
    case "quit":
      return Either.right(Command.Quit({ message: rest === "" ? undefined : rest }))
    case "help":
      return Either.right(Command.Help())
    default:
      return Either.left(new UnknownCommand({ command: word }))
  }
}

/** Whether a line as typed is `/quit`, read as the server reads it: cleaned, then parsed. For clients. */
export const isQuit = (typed: string): boolean => {
  const parsed = parse(Reply.clean(typed))
  return Either.isRight(parsed) && parsed.right._tag === "Quit"
}
