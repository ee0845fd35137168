/**
 * The IRC protocol's words: every line the server sends an IRC client, as
 * numerics and commands (RFC 2812, modern.ircdocs.horse), rendered from the
 * chat's events and replies.
 *
 * Room events are rendered once per protocol for every IRC member (see
 * `hub/Fanout`), so they name only their author: `:NICK!NICK@chat PRIVMSG
 * #room :text`. Replies go to one client and name it as the first parameter
 * of each numeric, as clients expect.
 */
import { absurd } from "effect/Function"
import type { Batch, LeaveReason, Nick, RoomName, UserError, UserInfo, WhoFormat } from "../../domain/Domain.js"
import { maxNickLength, maxRoomLength } from "../../domain/Domain.js"
import type { Render, Rendered, Reply, RoomEvent, Whispered } from "../../domain/Event.js"
import { matches } from "../../domain/Mask.js"
import { byteLength, line, split } from "./IrcMessage.js"

/** The server's name, the source of its numerics, unless the operator names it (`--irc-name`). */
export const defaultServerName = "chat.irc"
/** The host every user is shown at: the chat does not publish addresses. */
const userHost = "chat"
const version = "chat-0.1.0"

/** Lines (CR LF included) as one rendered batch. */
const many = (lines: ReadonlyArray<string>): Rendered => ({ text: lines.join(""), count: lines.length })

/** `items` in runs of at most `size`. */
const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<Array<A>> => {
  const out: Array<Array<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** `nick!nick@chat`: a user as a message's source. */
export const userSource = (nick: string): string => `${nick}!${nick}@${userHost}`

const channel = (room: RoomName): string => `#${room}`

/**
 * `LIST`'s filters (ELIST `MNU`), comma-separated: names and masks (any may
 * match), `!mask` (none may), `>n` and `<n` users (all must hold).
 */
const listFilter = (filter: string): (channel: string, users: number) => boolean => {
  const wanted: Array<string> = []
  const unwanted: Array<string> = []
  let more = -1
  let fewer = Number.POSITIVE_INFINITY
  for (const item of filter.split(",")) {
    if (item === "") continue
    const count = /^([<>])(\d+)$/.exec(item)
    if (count !== null) {
      if (count[1] === ">") more = Math.max(more, Number(count[2]))
      else fewer = Math.min(fewer, Number(count[2]))
    } else if (item.startsWith("!")) unwanted.push(item.slice(1))
    else wanted.push(item)
  }
  return (channel, users) =>
    users > more && users < fewer &&
    (wanted.length === 0 || wanted.some((m) => matches(m, channel))) &&
    !unwanted.some((m) => matches(m, channel))
}

export interface Users {
  readonly clients: number
  readonly rooms: number
}

/** The IRC words of a server named `serverName`. */
export const make = (serverName: string) => {
  /** A numeric reply to `target` (`*` before it has a nick). */
  const numeric = (target: string, code: string, ...params: Array<string>): string =>
    line(serverName, code, [target, ...params])

  /** A numeric whose last parameter is a text, always written as a trailing one. */
  const numericText = (target: string, code: string, ...params: Array<string>): string =>
    line(serverName, code, [target, ...params], true)

  // ---------------------------------------------------------------------------
  // Messages, split to fit in 512 bytes

  /** Room for text in one line of `:SOURCE COMMAND TARGET :TEXT\r\n` within 512 bytes. */
  const roomForText = (source: string, command: string, target: string): number =>
    512 - byteLength(`:${source} ${command} ${target} :\r\n`)

  const messages = (source: string, command: string, target: string, text: string, wrap = (t: string) => t) =>
    split(text, roomForText(source, command, target) - 9).map((piece) =>
      line(source, command, [target, wrap(piece)], true)
    )

  const ctcpAction = (text: string): string => `\u0001ACTION ${text}\u0001`

  // ---------------------------------------------------------------------------
  // Room events

  const quitMessage = (reason: LeaveReason): string => {
    switch (reason._tag) {
      case "Quit":
        return reason.message === undefined ? "Quit" : `Quit: ${reason.message}`
      case "Closed":
        return "Connection closed"
      case "Idle":
        return "Ping timeout"
      case "TooSlow":
        return "Too slow (sendq exceeded)"
      case "ShuttingDown":
        return "Server shutting down"
      case "ConnectionLost":
        return "Connection lost"
      case "Moved":
        return `Moved to #${reason.to}`
      case "Parted":
        return reason.message ?? ""
    }
  }

  const roomEventLines = (event: RoomEvent): ReadonlyArray<string> => {
    const source = userSource(event.nick)
    const target = channel(event.room)
    switch (event._tag) {
      case "Said":
        return messages(source, event.notice === true ? "NOTICE" : "PRIVMSG", target, event.text)
      case "Acted":
        return messages(source, "PRIVMSG", target, event.text, ctcpAction)
      case "Joined":
        return [line(source, "JOIN", [target])]
      case "Left":
        switch (event.reason._tag) {
          // Leaving one room: the others still see the client in theirs.
          case "Moved":
          case "Parted": {
            const message = quitMessage(event.reason)
            return [line(source, "PART", message === "" ? [target] : [target, message], true)]
          }
          default:
            return [line(source, "QUIT", [quitMessage(event.reason)], true)]
        }
      case "Renamed":
        return [line(source, "NICK", [event.to], true)]
      case "TopicSet":
        return [line(source, "TOPIC", [target, event.topic], true)]
    }
  }

  /**
   * A `QUIT` (leaving the server, not one room) and a `NICK` are about the
   * client, not the room: one who shares several rooms with it sees it once.
   */
  const oncePerClient = (event: RoomEvent): boolean =>
    event._tag === "Renamed" ||
    (event._tag === "Left" && event.reason._tag !== "Moved" && event.reason._tag !== "Parted")

  /** A `NICK` line about `nick` itself: the client's own nick changed, to the returned one. */
  const ownNickChange = (text: string, nick: string): string | undefined => {
    const prefix = `:${userSource(nick)} NICK :`
    return text.startsWith(prefix) ? text.slice(prefix.length).replace(/\r\n$/, "") : undefined
  }

  // ---------------------------------------------------------------------------
  // Registration and the welcome burst

  /** ISUPPORT tokens, matching the core's rules for nicks and rooms. */
  const isupport: ReadonlyArray<string> = [
    "CASEMAPPING=ascii",
    "CHANTYPES=#",
    `NICKLEN=${maxNickLength}`,
    `CHANNELLEN=${maxRoomLength + 1}`,
    "PREFIX=(ov)@+",
    "CHANLIMIT=#:",
    // Type D (flags): `n` (always), `s` secret, `t` topic set by operators only.
    "CHANMODES=,,,nst",
    "NETWORK=chat",
    "TARGMAX=JOIN:,PART:,NAMES:,LIST:,WHOIS:1,PRIVMSG:4,NOTICE:4",
    "AWAYLEN=200",
    "TOPICLEN=390",
    "KICKLEN=0",
    // WHO with fields (`WHO nick %nuhr,42`), answered by `whox` below.
    "WHOX",
    // LIST filters: masks (`LIST #ch*`), negated masks (`LIST !#ch*`), user counts (`LIST >3`).
    "ELIST=MNU",
    // Lines that are not UTF-8 are refused (FAIL INVALID_UTF8), never relayed.
    "UTF8ONLY"
  ]

  const lusers = (nick: string, users: Users): ReadonlyArray<string> => [
    numericText(nick, "251", `There are ${users.clients} users and 0 invisible on 1 servers`),
    numeric(nick, "252", "0", "operator(s) online"),
    numeric(nick, "254", String(users.rooms), "channels formed"),
    numericText(nick, "255", `I have ${users.clients} clients and 0 servers`),
    // Without the optional counts: the chat keeps no record of its peak.
    numericText(nick, "265", `Current local users: ${users.clients}`),
    numericText(nick, "266", `Current global users: ${users.clients}`)
  ]

  const motd = (nick: string): ReadonlyArray<string> => [numericText(nick, "422", "MOTD File is missing")]

  const welcome = (nick: string, users: Users | undefined): ReadonlyArray<string> => [
    numericText(nick, "001", `Welcome to the chat IRC network ${userSource(nick)}`),
    numericText(nick, "002", `Your host is ${serverName}, running version ${version}`),
    numericText(nick, "003", "This server was created today"),
    numeric(nick, "004", serverName, version, "i", "nst"),
    // At most 13 tokens a line, so that a line has at most 15 parameters (RFC 1459's limit).
    ...chunks(isupport, 13).map((tokens) => numericText(nick, "005", ...tokens, "are supported by this server")),
    ...(users === undefined ? [] : lusers(nick, users)),
    ...motd(nick)
  ]

  // ---------------------------------------------------------------------------
  // Replies about rooms and people

  /** Members as `NAMES` shows them: an operator as `@nick`. */
  const prefixed = (members: ReadonlyArray<Nick>, operators: ReadonlyArray<Nick> | undefined): Array<string> =>
    members.map((member) => operators?.includes(member) === true ? `@${member}` : member)

  const names = (
    nick: string,
    room: RoomName,
    nicks: ReadonlyArray<Nick>,
    operators: ReadonlyArray<Nick> | undefined,
    secret: boolean,
    batch?: Batch
  ): ReadonlyArray<string> => {
    const members = prefixed(nicks, operators)
    // `=` public, `@` secret (mode `s`).
    const symbol = secret ? "@" : "="
    const out: Array<string> = []
    const head = `:${serverName} 353 ${nick} = ${channel(room)} :`
    // Names in lines that fit 512 bytes.
    let current: Array<string> = []
    let size = byteLength(head) + 2
    for (const member of members) {
      if (current.length > 0 && size + member.length + 1 > 512) {
        out.push(numericText(nick, "353", symbol, channel(room), current.join(" ")))
        current = []
        size = byteLength(head) + 2
      }
      current.push(member)
      size += member.length + 1
    }
    if (current.length > 0) out.push(numericText(nick, "353", symbol, channel(room), current.join(" ")))
    // A query of several channels has one end, after the last, naming them all, as clients expect.
    if (batch === undefined) out.push(numericText(nick, "366", channel(room), "End of /NAMES list"))
    else if (batch.last) out.push(numericText(nick, "366", batch.query, "End of /NAMES list"))
    return out
  }

  /**
   * One `WHO` line; a member who said nothing of itself (a line client) is
   * shown by its nick. With a `format` (WHOX), a 354 line with the fields
   * asked for, in WHOX's fixed order whatever order they were asked in, and
   * the token for `t`. The chat publishes no addresses, keeps no idle time
   * and has no accounts: `i` is 255.255.255.255, `l` 0 and `a` 0 (none), as
   * WHOX spells them.
   */
  const whoLine = (
    nick: string,
    where: string,
    member: string,
    info: UserInfo | undefined,
    away: boolean,
    operator: boolean,
    oper: boolean,
    format: WhoFormat | undefined
  ): string => {
    const user = info?.user ?? member
    // Here or Gone (away), `*` for an IRC operator, then `@` for a channel operator.
    const flags = (away ? "G" : "H") + (oper ? "*" : "") + (operator ? "@" : "")
    const realname = info?.realname ?? member
    if (format === undefined) {
      return numericText(nick, "352", where, user, userHost, serverName, member, flags, `0 ${realname}`)
    }
    const values: Record<string, string> = {
      t: format.token,
      c: where,
      u: user,
      i: "255.255.255.255",
      h: userHost,
      s: serverName,
      n: member,
      f: flags,
      d: "0",
      l: "0",
      a: "0",
      o: "n/a",
      r: realname
    }
    const chosen = Array.from("tcuihsnfdlaor").filter((f) => format.fields.includes(f)).map((f) => values[f]!)
    return line(serverName, "354", [nick, ...chosen], format.fields.includes("r"))
  }

  const whoLines = (
    nick: string,
    room: RoomName,
    members: ReadonlyArray<Nick>,
    infos: ReadonlyArray<UserInfo | undefined> | undefined,
    away: ReadonlyArray<boolean> | undefined,
    operators: ReadonlyArray<Nick> | undefined,
    opers: ReadonlyArray<Nick> | undefined,
    format: WhoFormat | undefined
  ): ReadonlyArray<string> => [
    ...members.map((member, i) =>
      whoLine(
        nick,
        channel(room),
        member,
        infos?.[i],
        away?.[i] === true,
        operators?.includes(member) === true,
        opers?.includes(member) === true,
        format
      )
    ),
    numericText(nick, "315", channel(room), "End of /WHO list")
  ]

  const whois = (
    nick: string,
    target: Nick,
    rooms: ReadonlyArray<RoomName>,
    info: UserInfo | undefined,
    away: string | undefined,
    operatorOf: ReadonlyArray<RoomName> | undefined,
    oper: boolean
  ): ReadonlyArray<string> => [
    numericText(nick, "311", target, info?.user ?? target, userHost, "*", info?.realname ?? target),
    ...(rooms.length === 0 ? [] : [
      numericText(
        nick,
        "319",
        target,
        rooms.map((room) => (operatorOf?.includes(room) === true ? "@" : "") + channel(room)).join(" ")
      )
    ]),
    numericText(nick, "312", target, serverName, "chat"),
    ...(oper ? [numericText(nick, "313", target, "is an IRC operator")] : []),
    ...(away === undefined ? [] : [numericText(nick, "301", target, away)]),
    numericText(nick, "318", target, "End of /WHOIS list")
  ]

  /** Wording kept for the `ERROR` that ends a connection. */
  const closing = (why: string): string => line(undefined, "ERROR", [why], true)

  // ---------------------------------------------------------------------------
  // Errors

  const userError = (nick: string, error: UserError): ReadonlyArray<string> => {
    switch (error._tag) {
      case "UnknownCommand":
        return [numericText(nick, "421", error.command, "Unknown command")]
      case "Usage":
        return [numericText(nick, "461", error.command.toUpperCase(), "Not enough parameters")]
      case "InvalidNick":
        return [numericText(nick, "432", error.input, "Erroneous nickname")]
      case "InvalidRoom":
        return [numericText(nick, "403", error.input, "No such channel")]
      case "NickTaken":
        return [numericText(nick, "433", error.nick, "Nickname is already in use")]
      case "NoSuchNick":
        return [numericText(nick, "401", error.nick, "No such nick/channel")]
      case "AlreadyInRoom":
        // IRC servers ignore a JOIN to a channel the client is already in.
        return []
      case "NotInRoom":
        // Asked about a room that does not exist: modern IRC says 403 rather than RFC 2812's 442.
        if (error.missing === true && error.room !== undefined) {
          return [numericText(nick, "403", channel(error.room), "No such channel")]
        }
        return [
          numericText(nick, "442", error.room === undefined ? "*" : channel(error.room), "You're not on that channel")
        ]
      case "NotDelivered":
        return [line(serverName, "NOTICE", [nick, "Not delivered: the chat is unreachable, try again"], true)]
      case "LineTooLong":
        return [numericText(nick, "417", "Input line was too long")]
    }
  }

  // ---------------------------------------------------------------------------
  // Replies

  const replyLines = (reply: Reply, nick: string, out: Array<string>): void => {
    switch (reply._tag) {
      case "Welcome":
        out.push(...welcome(reply.nick, undefined))
        out.push(line(userSource(reply.nick), "JOIN", [channel(reply.room)]))
        out.push(numericText(reply.nick, "331", channel(reply.room), "No topic is set"))
        return
      case "Registered":
        out.push(...welcome(reply.nick, reply.users))
        return
      case "Entered":
        out.push(line(userSource(nick), "JOIN", [channel(reply.room)]))
        if (reply.topic !== undefined) out.push(numericText(nick, "332", channel(reply.room), reply.topic))
        out.push(...names(nick, reply.room, reply.members, reply.operators, reply.secret === true))
        return
      case "Parted":
        out.push(
          line(
            userSource(nick),
            "PART",
            reply.message === undefined ? [channel(reply.room)] : [channel(reply.room), reply.message],
            true
          )
        )
        return
      case "NickChanged":
        if (reply.from !== undefined) out.push(line(userSource(reply.from), "NICK", [reply.nick], true))
        return
      case "RoomList": {
        const keep = reply.filter === undefined ? undefined : listFilter(reply.filter)
        out.push(numericText(nick, "321", "Channel", "Users  Name"))
        for (const room of reply.rooms) {
          if (keep !== undefined && !keep(channel(room.room), room.members)) continue
          out.push(numericText(nick, "322", channel(room.room), String(room.members), ""))
        }
        out.push(numericText(nick, "323", "End of /LIST"))
        return
      }
      case "WhoList":
        out.push(
          ...(reply.full === true
            ? whoLines(
              nick,
              reply.room,
              reply.members,
              reply.infos,
              reply.away,
              reply.operators,
              reply.opers,
              reply.format
            )
            : names(nick, reply.room, reply.members, reply.operators, reply.secret === true, reply.batch))
        )
        return
      case "Bye":
        out.push(closing("Closing link (Quit)"))
        return
      case "Help":
        return
      case "IdleTimeout":
        out.push(closing(`Closing link (Ping timeout: idle for ${reply.after})`))
        return
      case "ShuttingDown":
        out.push(closing("server shutting down"))
        return
      case "ServerFull":
        out.push(closing("server full"))
        return
      case "TooManyFromAddress":
        out.push(closing("too many connections from your address"))
        return
      case "ClusterNotice": {
        const about = reply.room === undefined ? "" : ` in ${channel(reply.room)}`
        const text = reply.what === "HistoryLost"
          ? `the history${about} was lost`
          : reply.what === "EventsMissed"
          ? `some events${about} were missed`
          : "this server lost the cluster; reconnect"
        out.push(line(serverName, "NOTICE", [nick, text], true))
        return
      }
      case "Failed":
        out.push(...userError(nick, reply.error))
        return
      case "Pong":
        out.push(pong(reply.token))
        return
      case "WhoisInfo":
        if (reply.brief === true) {
          if (reply.rooms !== undefined) {
            out.push(
              whoLine(
                nick,
                "*",
                reply.nick,
                reply.info,
                reply.away !== undefined,
                false,
                reply.oper === true,
                reply.format
              )
            )
          }
          out.push(numericText(nick, "315", reply.nick, "End of /WHO list"))
        } else if (reply.rooms === undefined) {
          out.push(
            numericText(nick, "401", reply.nick, "No such nick/channel"),
            numericText(nick, "318", reply.nick, "End of /WHOIS list")
          )
        } else {
          out.push(
            ...whois(
              nick,
              reply.nick as Nick,
              reply.rooms,
              reply.info,
              reply.away,
              reply.operatorOf,
              reply.oper === true
            )
          )
        }
        return
      case "Topic":
        out.push(
          reply.changed === true
            ? line(userSource(nick), "TOPIC", [channel(reply.room), reply.topic ?? ""], true)
            : reply.topic === undefined
            ? numericText(nick, "331", channel(reply.room), "No topic is set")
            : numericText(nick, "332", channel(reply.room), reply.topic)
        )
        return
      case "AwaySet":
        out.push(
          reply.away
            ? numericText(nick, "306", "You have been marked as being away")
            : numericText(nick, "305", "You are no longer marked as being away")
        )
        return
      case "Counts":
        out.push(...lusers(nick, reply.users))
        return
      case "WhoMatched":
        // Not about one channel: `*` where the channel goes.
        reply.members.forEach((member, i) =>
          out.push(
            whoLine(
              nick,
              "*",
              member,
              reply.infos[i],
              reply.away[i] === true,
              false,
              reply.opers?.includes(member) === true,
              reply.format
            )
          )
        )
        out.push(numericText(nick, "315", reply.mask, "End of /WHO list"))
        return
      case "OperUp":
        out.push(numericText(nick, "381", "You are now an IRC operator"))
        return
      case "Modes": {
        const target = reply.room === undefined ? nick : channel(reply.room)
        if (reply.added !== undefined || reply.removed !== undefined) {
          const change = (reply.added === undefined ? "" : `+${reply.added}`) +
            (reply.removed === undefined ? "" : `-${reply.removed}`)
          out.push(line(userSource(nick), "MODE", [target, change], reply.room === undefined))
        } else if (reply.room === undefined) {
          out.push(numeric(nick, "221", `+${reply.modes}`))
        } else {
          // `n` always: only members speak in a room.
          out.push(numeric(nick, "324", target, `+n${reply.modes}`))
        }
        return
      }
      case "NotOperator":
        out.push(numericText(nick, "482", channel(reply.room), "You're not channel operator"))
        return
      default:
        // Every reply is rendered: a new one fails the type check here.
        return absurd(reply)
    }
  }

  const whisper = (event: Whispered, side: "received" | "sent"): Rendered =>
    // Without `echo-message`, IRC clients show what they sent themselves.
    side === "sent"
      ? event.away === undefined
        ? { text: "", count: 0 }
        : many([numericText(event.fromNick, "301", event.toNick, event.away)])
      : many(messages(userSource(event.fromNick), "PRIVMSG", event.toNick, event.text))

  const render: Render = {
    roomEvent: (event) => many(roomEventLines(event)),
    oncePerClient,
    whisper,
    replies: (replies, nick) => {
      const out: Array<string> = []
      for (const reply of replies) replyLines(reply, nick ?? "*", out)
      return many(out)
    }
  }

  const namesStart = `:${serverName} 353 `

  /**
   * `NAMES` lines with each member as `nick!user@host`, for a client that
   * enabled `userhost-in-names`: the same source its messages come from.
   */
  const withPrefix = (name: string): string => name.startsWith("@") ? `@${userSource(name.slice(1))}` : userSource(name)

  const userhostInNames = (text: string): string =>
    text.includes(namesStart)
      ? text.split("\r\n").map((l) => {
        const names = l.startsWith(namesStart) ? l.indexOf(" :", namesStart.length) : -1
        return names === -1 ? l : l.slice(0, names + 2) + l.slice(names + 2).split(" ").map(withPrefix).join(" ")
      }).join("\r\n")
      : text

  /** Answer to a `PING`. */
  const pong = (token: string): string => line(serverName, "PONG", [serverName, token], true)

  return {
    serverName,
    numeric,
    numericText,
    roomEventLines,
    ownNickChange,
    lusers,
    motd,
    welcome,
    closing,
    userError,
    render,
    isupport,
    pong,
    userhostInNames
  } as const
}

export type IrcWords = ReturnType<typeof make>
