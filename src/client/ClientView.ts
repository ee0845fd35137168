/**
 * What `chat connect` shows at a terminal, and what it learns from what it
 * receives. Pure.
 *
 * - `classify` tells the six kinds of line of PROTOCOL.md apart.
 * - `track` follows your nick, your room and the nicks seen in it from the
 *   server's notices, for the prompt and for Tab completion.
 * - `render` styles a line: notices subdued, errors red, actions and private
 *   messages set apart, each nick in a colour of its own.
 * - `echo` is the line the server does not send back: your own message.
 */
import { Data, Either, Option } from "effect"
import * as LineProtocol from "../protocol/line/LineProtocol.js"
import type { Spans, Style } from "./StyledText.js"
import { span } from "./StyledText.js"

export type Received = Data.TaggedEnum<{
  /** `<NICK> TEXT` */
  Message: { readonly nick: string; readonly text: string }
  /** `* NICK TEXT` */
  Action: { readonly nick: string; readonly text: string }
  /** `[pm] <NICK> TEXT` */
  PrivateReceived: { readonly from: string; readonly text: string }
  /** `[pm -> NICK] TEXT` */
  PrivateSent: { readonly to: string; readonly text: string }
  /** `*** TEXT` */
  Notice: { readonly text: string }
  /** `! TEXT` */
  Error: { readonly text: string }
  /** Anything else: not from a server that speaks PROTOCOL.md. */
  Other: { readonly text: string }
}>
export const Received = Data.taggedEnum<Received>()

/** Tabs become blanks and other control characters go. */
const printable = (text: string): string => text.replace(/\t/g, " ").replace(/\p{Cc}/gu, "")

const messageLine = /^<([^ >]+)> (.*)$/s
const actionLine = /^\* ([^ ]+) (.*)$/s
const privateReceivedLine = /^\[pm\] <([^ >]+)> (.*)$/s
const privateSentLine = /^\[pm -> ([^ \]]+)\] (.*)$/s

/**
 * The kind of a line the server sent, by its first characters. The line is
 * made printable first, whole: whatever a server sends (PROTOCOL.md forbids
 * control characters, but the client cannot know what it talks to), no nick,
 * room or text taken from it can move the cursor or restyle the screen.
 */
export const classify = (received: string): Received => {
  const line = printable(received)
  if (line.startsWith("*** ")) return Received.Notice({ text: line.slice(4) })
  if (line.startsWith("! ")) return Received.Error({ text: line.slice(2) })
  let match = privateReceivedLine.exec(line)
  if (match !== null) return Received.PrivateReceived({ from: match[1]!, text: match[2]! })
  match = privateSentLine.exec(line)
  if (match !== null) return Received.PrivateSent({ to: match[1]!, text: match[2]! })
  match = actionLine.exec(line)
  if (match !== null) return Received.Action({ nick: match[1]!, text: match[2]! })
  match = messageLine.exec(line)
  if (match !== null) return Received.Message({ nick: match[1]!, text: match[2]! })
  return Received.Other({ text: line })
}

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

const welcomeNotice = /^welcome to chat, you are (\S+) in #(\S+) \(\d+ here\)$/
const youAreNowNotice = /^you are now (\S+)$/
const youJoinedNotice = /^joined #(\S+) \(\d+ here: (.*)\)$/
const whoNotice = /^in #(\S+): (.*)$/
const memberJoinedNotice = /^(\S+) joined #\S+$/
const memberLeftNotice = /^(\S+) left #\S+ \(.*\)$/
const renamedNotice = /^(\S+) is now (\S+)$/

const names = (list: string): ReadonlyArray<string> => list.split(", ").filter((name) => name !== "")

const trackNotice = (session: Session, text: string): Session => {
  let match = welcomeNotice.exec(text)
  if (match !== null) {
    return { ...session, nick: Option.some(match[1]!), room: Option.some(match[2]!), members: [match[1]!] }
  }
  match = youAreNowNotice.exec(text)
  if (match !== null) {
    const nick = match[1]!
    const members = Option.match(session.nick, {
      onNone: () => withName(session.members, nick),
      onSome: (old) => renamed(session.members, old, nick)
    })
    return { ...session, nick: Option.some(nick), members }
  }
  match = youJoinedNotice.exec(text)
  if (match !== null) return { ...session, room: Option.some(match[1]!), members: names(match[2]!) }
  match = whoNotice.exec(text)
  if (match !== null) return { ...session, room: Option.some(match[1]!), members: names(match[2]!) }
  match = memberJoinedNotice.exec(text)
  if (match !== null) return { ...session, members: withName(session.members, match[1]!) }
  match = memberLeftNotice.exec(text)
  if (match !== null) return { ...session, members: withoutName(session.members, match[1]!) }
  match = renamedNotice.exec(text)
  if (match !== null) {
    return {
      ...session,
      members: renamed(session.members, match[1]!, match[2]!),
      contacts: renamed(session.contacts, match[1]!, match[2]!)
    }
  }
  return session
}

/** What a received line tells about the session. */
export const track = (session: Session, received: Received): Session => {
  switch (received._tag) {
    case "Notice":
      return trackNotice(session, received.text)
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
      if (received._tag === "Notice" && received.text === "server shutting down") return "server shutting down"
      if (received._tag === "Notice" && received.text.startsWith("disconnected: ")) return received.text
      if (received._tag === "Notice" && received.text === "bye") return "you quit"
      if (received._tag === "Error" && received.text === "server full") return "server full"
      return "the server closed the connection"
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
export const info = (text: string): Rendered => render(Received.Notice({ text }), initial)

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
