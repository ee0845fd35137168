/**
 * What `chat connect` shows at a terminal, and what it learns from what it
 * receives. Pure.
 *
 * - `classify` reads a line with the line protocol's own reader
 *   (`LineProtocol.read`), so a change of wording cannot break the client
 *   silently.
 * - `track` follows your nick, your room and the nicks seen in it from what
 *   the server's notices say, for the prompt and for Tab completion.
 * - `render` styles a line: notices subdued, errors red, actions and private
 *   messages set apart, each nick in a colour of its own.
 * - `echo` is the line the server does not send back: your own message.
 */
import { Either, Option } from "effect"
import * as LineProtocol from "../protocol/line/LineProtocol.js"
import type { Spans, Style } from "./StyledText.js"
import { span } from "./StyledText.js"

/** A line from the server as what it says: the line protocol's own reading (`LineProtocol.read`). */
export type Received = LineProtocol.ServerLine
export const Received = LineProtocol.ServerLine

/** Tabs become blanks and other control characters go. */
const printable = (text: string): string => text.replace(/\t/g, " ").replace(/\p{Cc}/gu, "")

/**
 * What a line the server sent says. The line is made printable first,
 * whole: whatever a server sends (PROTOCOL.md forbids control characters,
 * but the client cannot know what it talks to), no nick, room or text taken
 * from it can move the cursor or restyle the screen.
 */
export const classify = (received: string): Received => LineProtocol.read(printable(received))

// ---------------------------------------------------------------------------
// What the client knows of its session

export interface Session {
  readonly nick: Option.Option<string>
  /** The room's name without `#`. */
  readonly room: Option.Option<string>
  /** The room's members as far as the client has seen: from `/join`, `/who`, joins, leaves and messages. */
  readonly members: ReadonlyArray<string>
  /** The people you exchanged private messages with. */
  readonly contacts: ReadonlyArray<string>
}

export const initial: Session = { nick: Option.none(), room: Option.none(), members: [], contacts: [] }

/** Nicks and rooms are unique without regard to case. */
const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

const withName = (
  names: ReadonlyArray<string>,
  name: string
): ReadonlyArray<string> => [...names.filter((n) => !sameName(n, name)), name]

const withoutName = (names: ReadonlyArray<string>, name: string): ReadonlyArray<string> =>
  names.filter((n) => !sameName(n, name))

const renamed = (names: ReadonlyArray<string>, from: string, to: string): ReadonlyArray<string> =>
  names.some((n) => sameName(n, from)) ? withName(withoutName(names, from), to) : names

const trackNotice = (session: Session, fact: LineProtocol.NoticeFact): Session => {
  switch (fact._tag) {
    case "Welcome":
      return { ...session, nick: Option.some(fact.nick), room: Option.some(fact.room), members: [fact.nick] }
    case "Registered":
      return { ...session, nick: Option.some(fact.nick), members: [fact.nick] }
    case "NickChanged": {
      const members = Option.match(session.nick, {
        onNone: () => withName(session.members, fact.nick),
        onSome: (old) => renamed(session.members, old, fact.nick)
      })
      return { ...session, nick: Option.some(fact.nick), members }
    }
    case "Entered":
    case "WhoList":
      return { ...session, room: Option.some(fact.room), members: fact.members }
    case "MemberJoined":
      return { ...session, members: withName(session.members, fact.nick) }
    case "MemberLeft":
      return { ...session, members: withoutName(session.members, fact.nick) }
    case "Renamed":
      return {
        ...session,
        members: renamed(session.members, fact.from, fact.to),
        contacts: renamed(session.contacts, fact.from, fact.to)
      }
    default:
      return session
  }
}

/** What a received line tells about the session. */
export const track = (session: Session, received: Received): Session => {
  switch (received._tag) {
    case "Notice":
      return trackNotice(session, received.fact)
    case "Message":
    case "Action":
      return { ...session, members: withName(session.members, received.nick) }
    case "PrivateReceived":
      return { ...session, contacts: withName(session.contacts, received.from) }
    case "PrivateSent":
      return { ...session, contacts: withName(session.contacts, received.to) }
    case "Error":
    case "Other":
      return session
  }
}

/** The command names, for Tab completion. */
export const commands: ReadonlyArray<string> = ["/help", "/join", "/me", "/msg", "/nick", "/quit", "/rooms", "/who"]

/** The nicks Tab completes: the room's members and your contacts, yourself excepted, sorted. */
export const completions = (session: Session): ReadonlyArray<string> => {
  // By lower-cased name: the first spelling seen of each, yourself left out.
  const byName = new Map<string, string>()
  for (const nick of [...session.members, ...session.contacts]) {
    const key = nick.toLowerCase()
    if (!byName.has(key)) byName.set(key, nick)
  }
  if (Option.isSome(session.nick)) byName.delete(session.nick.value.toLowerCase())
  return Array.from(byName).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, nick]) => nick)
}

/** A chosen nick, as opposed to the `guest-N` the server hands out: the one to take back after reconnecting. */
export const chosenNick = (session: Session): Option.Option<string> =>
  Option.filter(session.nick, (nick) => !/^guest-\d+$/i.test(nick))

// ---------------------------------------------------------------------------
// The local echo

/**
 * The line the server does not send back for `input`: `<you> TEXT` for a
 * room message, `* you TEXT` for `/me TEXT`, read and cleaned by the
 * server's own rules (`LineProtocol.parse`); none for other commands,
 * mistakes and lines the server ignores.
 */
export const echo = (input: string, session: Session): Option.Option<Received> => {
  const parsed = LineProtocol.parse(input)
  const nick = Option.getOrElse(session.nick, () => "you")
  if (parsed === undefined) return Option.none()
  return Either.match(parsed, {
    onLeft: () => Option.none(),
    onRight: (command) => {
      switch (command._tag) {
        case "Say":
          return Option.some(Received.Message({ nick, text: printable(command.text) }))
        case "Act":
          return Option.some(Received.Action({ nick, text: printable(command.text) }))
        default:
          return Option.none()
      }
    }
  })
}

// ---------------------------------------------------------------------------
// Why the connection ended

/** The reason the server gave in its last line, in a few words. */
export const whyClosed = (last: Option.Option<Received>): string =>
  Option.match(last, {
    onNone: () => "the server closed the connection",
    onSome: (received) => {
      const fact = received._tag === "Notice" || received._tag === "Error" ? received.fact._tag : undefined
      switch (fact) {
        case "ShuttingDown":
          return "server shutting down"
        case "IdleTimeout":
          return received.text
        case "Bye":
          return "you quit"
        case "ServerFull":
          return "server full"
        default:
          return "the server closed the connection"
      }
    }
  })

// ---------------------------------------------------------------------------
// Rendering

const bold = 1
const notice: Style = [90]
const errorMark: Style = [bold, 31]
const errorText: Style = [31]
const actionMark: Style = [bold, 35]
const actionText: Style = [35]
const privateMark: Style = [bold, 33]
const privateText: Style = [33]

/** Green, yellow, blue, magenta, cyan and their bright forms: red is for errors, grey for notices. */
const nickColours: ReadonlyArray<number> = [32, 33, 34, 35, 36, 92, 93, 94, 95, 96]

/** A nick's colour: the same every time and for everyone (FNV-1a of the lower-cased nick). */
export const nickColour = (nick: string): number => {
  let hash = 0x811c9dc5
  for (const c of nick.toLowerCase()) {
    hash ^= c.codePointAt(0)!
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return nickColours[hash % nickColours.length]!
}

export interface Rendered {
  readonly spans: Spans
  /** Columns to indent the rows a long line wraps onto: the width of its `<nick> ` or `*** `. */
  readonly indent: number
}

const isMe = (session: Session, nick: string): boolean =>
  Option.match(session.nick, { onNone: () => false, onSome: (me) => sameName(me, nick) })

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const mentions = (session: Session, text: string): boolean =>
  Option.match(session.nick, {
    onNone: () => false,
    onSome: (me) => new RegExp(`(^|[^A-Za-z0-9_-])${escapeRegExp(me)}($|[^A-Za-z0-9_-])`, "i").test(text)
  })

const nickSpan = (session: Session, nick: string) =>
  span(nick, isMe(session, nick) ? [bold, nickColour(nick)] : [nickColour(nick)])

const indented = (spans: Spans, prefix: string): Rendered => ({ spans, indent: prefix.length })

/** A received line (or your echo) as styled spans; a line names the nicks as they are, only styled. */
export const render = (received: Received, session: Session): Rendered => {
  switch (received._tag) {
    case "Message": {
      const style: Style = !isMe(session, received.nick) && mentions(session, received.text) ? [bold] : []
      return indented(
        [span("<"), nickSpan(session, received.nick), span("> "), span(received.text, style)],
        `<${received.nick}> `
      )
    }
    case "Action":
      return indented(
        [span("* ", actionMark), nickSpan(session, received.nick), span(` ${received.text}`, actionText)],
        `* ${received.nick} `
      )
    case "PrivateReceived":
      return indented(
        [
          span("[pm]", privateMark),
          span(" <"),
          nickSpan(session, received.from),
          span("> "),
          span(received.text, privateText)
        ],
        `[pm] <${received.from}> `
      )
    case "PrivateSent":
      return indented(
        [
          span("[pm -> ", privateMark),
          nickSpan(session, received.to),
          span("] ", privateMark),
          span(received.text, privateText)
        ],
        `[pm -> ${received.to}] `
      )
    case "Notice":
      return indented([span(`*** ${received.text}`, notice)], "*** ")
    case "Error":
      return indented([span("! ", errorMark), span(received.text, errorText)], "! ")
    case "Other":
      return { spans: [span(received.text)], indent: 0 }
  }
}

/** A line of the client's own (reconnecting, reconnected), styled as a notice. */
export const info = (text: string): Rendered =>
  render(Received.Notice({ text, fact: LineProtocol.NoticeFact.Unknown() }), initial)

/** `[alice #lobby] > `, or `[alice #lobby offline] > ` while reconnecting. */
export const prompt = (session: Session, online: boolean): Spans => {
  const nick = Option.match(session.nick, {
    onNone: () => [span("connecting", notice)],
    onSome: (nick) => [span(nick, [bold, nickColour(nick)])]
  })
  const room = Option.match(session.room, { onNone: () => [], onSome: (room) => [span(` #${room}`, [bold])] })
  const status = online ? [] : [span(" offline", errorText)]
  return [span("["), ...nick, ...room, ...status, span("] > ")]
}
