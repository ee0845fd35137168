/**
 * One IRC client's side of the conversation: registration (`CAP`, `NICK`,
 * `USER`) before it joins the chat, then each command it sends as a chat
 * command for the hub or, when nothing shared is involved (`CAP`, `MOTD`,
 * `OPER`'s check...), a local answer. How an answer is to be shown (`WHO
 * %fields` as WHOX, `LIST` filters, one end for `NAMES #a,#b`) goes in the
 * command, and the hub's answer carries it to `IrcRender`. Per connection
 * and mutable: the connection owns it and calls it from one fiber.
 */
import { Duration, Either, Option } from "effect"
import type { Input } from "../../domain/Command.js"
import { Command } from "../../domain/Command.js"
import type { RoomName, UserError, UserInfo } from "../../domain/Domain.js"
import { clean, InvalidRoom, parseNick, parseRoom } from "../../domain/Domain.js"
import type { Rendered, Sink } from "../../domain/Event.js"
import { isMask } from "../../domain/Mask.js"
import type { Frame } from "../Frame.js"
import type { ProtocolSession, Step } from "../WireProtocol.js"
import type { IrcMessage } from "./IrcMessage.js"
import { byteLength, line, parse } from "./IrcMessage.js"
import type { IrcWords } from "./IrcRender.js"

/** An IRC line (without CR LF) may be 510 bytes, tags apart. */
const maxMessageBytes = 510

/** How long a silent client may stay without `--idle-timeout`: pinged after half of it. */
const defaultIdleTimeout = Duration.minutes(4)

// ---------------------------------------------------------------------------
// Relayed text

// IRC formatting: bold, colour (with its digits), hex colour, reset, monospace, italics, strike, underline, reverse.
const formatting =
  // eslint-disable-next-line no-control-regex
  /\u0003(?:\d{1,2}(?:,\d{1,2})?)?|\u0004(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\u0002\u000f\u0011\u001d\u001e\u001f\u0016]/g

/**
 * Text an IRC client sent, as the chat relays it: formatting codes go with
 * their arguments (a colour's digits would otherwise be left in the text),
 * then every other control character, as for every protocol.
 */
export const cleanText = (text: string): string => clean(text.replace(formatting, ""))

/** A CTCP message (`\x01ACTION waves\x01`): its command and argument. */
const ctcp = (text: string): { readonly command: string; readonly argument: string } | undefined => {
  if (!text.startsWith("\u0001")) return undefined
  const body = text.endsWith("\u0001") ? text.slice(1, -1) : text.slice(1)
  const space = body.indexOf(" ")
  return space === -1
    ? { command: body.toUpperCase(), argument: "" }
    : { command: body.slice(0, space).toUpperCase(), argument: body.slice(space + 1) }
}

// ---------------------------------------------------------------------------

const rendered = (lines: ReadonlyArray<string>): Rendered => ({ text: lines.join(""), count: lines.length })
const local = (...lines: Array<string>): Step => ({ _tag: "Local", rendered: rendered(lines) })
const input = (value: Input): Step => ({ _tag: "Input", input: value })
const command = (value: Command): Step => input(Either.right(value))
const failed = (error: UserError): Step => input(Either.left(error))

/** `#room` as a room; anything else (no `#`, a bad name) is the user's mistake. */
const channelName = (name: string): Either.Either<RoomName, InvalidRoom> =>
  name.startsWith("#") ? parseRoom(name) : Either.left(new InvalidRoom({ input: name }))

const targets = (param: string): Array<string> => param.split(",").filter((t) => t !== "")

/**
 * The capabilities offered. `multi-prefix` asks for every prefix of a member
 * in `NAMES` and `WHO`; with at most one mode per member, that is what is
 * always sent. `userhost-in-names` shows members as `nick!user@host`.
 */
const offered: ReadonlySet<string> = new Set(["multi-prefix", "userhost-in-names"])

/** The longest away message kept (ISUPPORT `AWAYLEN`). */
const maxAwayLength = 200

/** The longest topic kept (ISUPPORT `TOPICLEN`). */
const maxTopicLength = 390

/** The longest user name kept from `USER`. */
const maxUserLength = 10

/**
 * A mode change (`+t-s`, `+i`) as letters added and removed; the first letter
 * not in `known` (a string) when there is one.
 */
const modeLetters = (change: string, known: string): { add: string; remove: string } | string => {
  let adding = true
  let add = ""
  let remove = ""
  for (const letter of change) {
    if (letter === "+" || letter === "-") adding = letter === "+"
    else if (!known.includes(letter)) return letter
    else if (adding) add += letter
    else remove += letter
  }
  return { add, remove }
}

/** Commands allowed before registration. */
const beforeRegistration = new Set(["CAP", "NICK", "USER", "PASS", "PING", "PONG", "QUIT"])

export interface SessionOptions {
  /** The server password (`PASS`) a client must give to register, if any. */
  readonly password?: string | undefined
  /** The name and password `OPER` takes to make a client an IRC operator, if any. */
  readonly oper?: { readonly name: string; readonly password: string } | undefined
}

export const make = (words: IrcWords, options: SessionOptions = {}): ProtocolSession => {
  // Registration: what the client has sent so far.
  let requested: string | undefined
  let hasUser = false
  let info: UserInfo | undefined
  let negotiating = false
  let registering = false
  const enabled = new Set<string>()
  // The channels the client is in, lower-cased. Joining always succeeds in the
  // chat, so it is known as the commands go out, before the hub answers, and a
  // message right behind a JOIN is not refused.
  const channels = new Set<string>()
  // Once registered: the client's nick as the hub last told it (see `sink`).
  let nick: string | undefined
  // The password the client gave (`PASS`), if any.
  let password: string | undefined

  const me = (): string => nick ?? requested ?? "*"
  const numeric = (code: string, ...params: Array<string>) => words.numericText(me(), code, ...params)
  const needMoreParams = (name: string) => local(numeric("461", name, "Not enough parameters"))

  /** Registration completes once the nick and user are known and no `CAP` negotiation is open. */
  const tryRegister = (): Array<Step> => {
    if (nick !== undefined || registering || requested === undefined || !hasUser || negotiating) return []
    if (options.password !== undefined && password !== options.password) {
      return [{
        _tag: "Close",
        rendered: rendered([numeric("464", "Password incorrect"), words.closing("Closing link (Bad password)")])
      }]
    }
    return Option.match(Either.getRight(parseNick(requested)), {
      onNone: () => [],
      onSome: (valid): Array<Step> => {
        registering = true
        return [{ _tag: "Register", nick: valid, info }]
      }
    })
  }

  const cap = (params: ReadonlyArray<string>): Array<Step> => {
    const sub = (params[0] ?? "").toUpperCase()
    const reply = (...rest: Array<string>) => local(line(words.serverName, "CAP", [me(), ...rest], true))
    switch (sub) {
      case "LS":
        if (nick === undefined) negotiating = true
        return [reply("LS", Array.from(offered).join(" "))]
      case "LIST":
        return [reply("LIST", Array.from(enabled).join(" "))]
      case "REQ": {
        if (nick === undefined) negotiating = true
        // All or nothing, as the specification says.
        const wanted = (params[1] ?? "").split(" ").filter((c) => c !== "")
        if (wanted.length === 0 || !wanted.every((c) => offered.has(c.replace(/^-/, "")))) {
          return [reply("NAK", params[1] ?? "")]
        }
        for (const c of wanted) {
          if (c.startsWith("-")) enabled.delete(c.slice(1))
          else enabled.add(c)
        }
        return [reply("ACK", params[1]!)]
      }
      case "END":
        negotiating = false
        return tryRegister()
      default:
        return [local(numeric("410", sub, "Invalid CAP command"))]
    }
  }

  const onNick = (params: ReadonlyArray<string>): Array<Step> => {
    const wanted = params[0]
    if (wanted === undefined || wanted === "") return [local(numeric("431", "No nickname given"))]
    const valid = parseNick(wanted)
    if (Either.isLeft(valid)) return [local(numeric("432", wanted, "Erroneous nickname"))]
    if (nick !== undefined) return [command(Command.Rename({ nick: valid.right }))]
    requested = wanted
    return tryRegister()
  }

  const onUser = (params: ReadonlyArray<string>): Array<Step> => {
    if (nick !== undefined || hasUser) return [local(numeric("462", "You may not reregister"))]
    if (params.length < 4 || params[0] === "" || params[3] === "") return [needMoreParams("USER")]
    hasUser = true
    info = { user: cleanText(params[0]!).slice(0, maxUserLength), realname: cleanText(params[3]!) }
    return tryRegister()
  }

  /** `PRIVMSG` and `NOTICE`: to rooms (`Say`, or `Act` for a CTCP `ACTION`) and to nicks (`Whisper`). */
  const privmsg = (name: string, params: ReadonlyArray<string>): Array<Step> => {
    if (params.length === 0 || params[0] === "") return [local(numeric("411", `No recipient given (${name})`))]
    const raw = params[1]
    if (raw === undefined || raw === "") return [local(numeric("412", "No text to send"))]
    const query = ctcp(raw)
    // Other CTCP queries (VERSION, PING...) are between clients the chat does not relay.
    if (query !== undefined && query.command !== "ACTION") return []
    const text = cleanText(query === undefined ? raw : query.argument)
    if (text === "") return []
    return targets(params[0]!).map((target) => {
      if (!target.startsWith("#")) {
        return command(Command.Whisper({ to: target, text: query === undefined ? text : `* ${text}` }))
      }
      return Either.match(channelName(target), {
        onLeft: failed,
        onRight: (room) =>
          channels.has(room.toLowerCase())
            ? command(
              query === undefined
                ? Command.Say(name === "NOTICE" ? { text, room, notice: true } : { text, room })
                : Command.Act({ text, room })
            )
            // No automatic reply to a NOTICE, as RFC 2812 asks.
            : name === "NOTICE"
            ? local()
            : local(numeric("404", target, "Cannot send to channel"))
      })
    }).filter((step) => step._tag !== "Local" || step.rendered.count > 0)
  }

  const join = (params: ReadonlyArray<string>): Array<Step> => {
    if (params.length === 0 || params[0] === "") return [needMoreParams("JOIN")]
    // `JOIN 0` leaves every channel: not offered, the chat keeps no list of them here.
    return targets(params[0]!).map((name) =>
      Either.match(channelName(name), {
        onLeft: failed,
        onRight: (room) => {
          channels.add(room.toLowerCase())
          // The creator of a channel is its operator, as on every IRC server.
          return command(Command.Join({ room, alone: false, claim: true }))
        }
      })
    )
  }

  const part = (params: ReadonlyArray<string>): Array<Step> => {
    if (params.length === 0 || params[0] === "") return [needMoreParams("PART")]
    const reason = params[1] === undefined ? undefined : cleanText(params[1])
    return targets(params[0]!).map((name) =>
      Either.match(channelName(name), {
        onLeft: failed,
        onRight: (room) => {
          channels.delete(room.toLowerCase())
          return command(Command.Part({ room, message: reason === "" ? undefined : reason }))
        }
      })
    )
  }

  /** `NAMES` of several channels: one end (366) naming them all, after the last. */
  const namesOfSeveral = (param: string): Array<Step> => {
    const rooms = targets(param).map(channelName).filter(Either.isRight).map((r) => r.right)
    if (rooms.length === 0) return [local(numeric("366", param, "End of /NAMES list"))]
    return rooms.map((room, i) =>
      command(Command.Who({ room, full: false, batch: { query: param, last: i === rooms.length - 1 } }))
    )
  }

  /** Per room: `NAMES`, `WHO` (`full`); `WHO target %fields,token` is WHOX. */
  const whoOrNames = (params: ReadonlyArray<string>, full: boolean): Array<Step> => {
    const end = full ? "315" : "366"
    const endText = full ? "End of /WHO list" : "End of /NAMES list"
    if (params.length === 0 || params[0] === "") return [local(numeric(end, "*", endText))]
    if (!full && targets(params[0]!).length > 1) return namesOfSeveral(params[0]!)
    const whox = full && params[1]?.startsWith("%") === true ? params[1].slice(1).split(",") : undefined
    // The token goes back as it came: at most 3 digits, as WHOX allows.
    const token = whox?.[1] !== undefined && /^\d{1,3}$/.test(whox[1]) ? whox[1] : "0"
    // Only when asked for: the hub carries it back in its answer.
    const format = whox === undefined ? {} : { format: { fields: whox[0]!, token } }
    return targets(params[0]!).map((target) =>
      Either.match(channelName(target), {
        // A nick: one line about it; a mask (`0` is everyone, as in RFC 2812): everyone whose nick matches.
        onLeft: () =>
          !full
            ? local(numeric(end, target, endText))
            : isMask(target) || target === "0"
            ? command(Command.WhoMask({ mask: target === "0" ? "*" : target, ...format }))
            : command(Command.Whois({ nick: target, brief: true, ...format })),
        onRight: (room) => command(Command.Who({ room, full, ...format }))
      })
    )
  }

  /** `LIST`, with ELIST filters if any: the hub carries them back, and `IrcRender` applies them. */
  const list = (params: ReadonlyArray<string>): Array<Step> =>
    params[0] === undefined || params[0] === ""
      ? [command(Command.ListRooms())]
      : [command(Command.ListFiltered({ filter: params[0] }))]

  const mode = (params: ReadonlyArray<string>): Array<Step> => {
    const target = params[0]
    if (target === undefined || target === "") return [needMoreParams("MODE")]
    const change = params[1]
    if (target.startsWith("#")) {
      return Either.match(channelName(target), {
        onLeft: (error) => [failed(error)],
        onRight: (room) => {
          if (change === undefined) return [command(Command.Mode({ room }))]
          // List queries (`MODE #room b`) are empty lists: the chat keeps no bans, exceptions or invitations.
          if (/^[+-]?[beI]+$/.test(change) && params.length === 2) {
            const list = change.replace(/^[+-]/, "")[0]
            const endCode = list === "b" ? "368" : list === "e" ? "349" : "347"
            return [local(numeric(endCode, target, "End of channel list"))]
          }
          const parsed = modeLetters(change, "nst")
          if (typeof parsed === "string") return [local(numeric("472", parsed, "is unknown mode char to me"))]
          // `n` is always on: only members speak in a room.
          const add = parsed.add.replace("n", "")
          const remove = parsed.remove.replace("n", "")
          return [command(Command.Mode({ room, add, remove }))]
        }
      })
    }
    if (target.toLowerCase() !== me().toLowerCase()) {
      return [local(numeric("502", "Cannot change mode for other users"))]
    }
    if (change === undefined) return [command(Command.Mode({}))]
    const parsed = modeLetters(change, "i")
    if (typeof parsed === "string") return [local(numeric("501", "Unknown MODE flag"))]
    return [command(Command.Mode({ add: parsed.add, remove: parsed.remove }))]
  }

  const topic = (params: ReadonlyArray<string>): Array<Step> => {
    const target = params[0]
    if (target === undefined || target === "") return [needMoreParams("TOPIC")]
    return [Either.match(channelName(target), {
      onLeft: failed,
      onRight: (room) =>
        command(Command.Topic({
          room,
          text: params.length > 1 ? cleanText(params[1]!).slice(0, maxTopicLength) : undefined
        }))
    })]
  }

  const registered = (message: IrcMessage): Array<Step> => {
    const params = message.params
    switch (message.command) {
      case "PRIVMSG":
      case "NOTICE":
        return privmsg(message.command, params)
      case "JOIN":
        return join(params)
      case "PART":
        return part(params)
      case "NAMES":
        return whoOrNames(params, false)
      case "WHO":
        return whoOrNames(params, true)
      case "WHOIS": {
        const target = params.at(-1)
        if (target === undefined || target === "") return [local(numeric("431", "No nickname given"))]
        return targets(target).slice(0, 1).map((who) => command(Command.Whois({ nick: who })))
      }
      case "LIST":
        return list(params)
      case "LUSERS":
        return [command(Command.Lusers())]
      case "MOTD":
        return [local(...words.motd(me()))]
      case "MODE":
        return mode(params)
      case "TOPIC":
        return topic(params)
      case "OPER": {
        if (params.length < 2 || params[0] === "" || params[1] === "") return [needMoreParams("OPER")]
        const oper = options.oper
        if (oper === undefined) return [local(numeric("491", "No O-lines for your host"))]
        return params[0] === oper.name && params[1] === oper.password
          ? [command(Command.Oper())]
          : [local(numeric("464", "Password incorrect"))]
      }
      case "AWAY": {
        const message = params[0] === undefined ? "" : cleanText(params[0]).slice(0, maxAwayLength)
        return [command(Command.Away({ message: message === "" ? undefined : message }))]
      }
      case "PING":
        return params.length === 0 ? [local(numeric("409", "No origin specified"))] : [
          command(Command.Ping({ token: params[0]! }))
        ]
      case "PONG":
        return []
      case "QUIT": {
        const reason = params[0] === undefined ? undefined : cleanText(params[0])
        return [command(Command.Quit({ message: reason === "" ? undefined : reason }))]
      }
      case "USER":
      case "PASS":
        return [local(numeric("462", "You may not reregister"))]
      case "VERSION":
        return [local(numeric("351", "chat-0.1.0", words.serverName, ""))]
      default:
        return [local(numeric("421", message.command, "Unknown command"))]
    }
  }

  const read = (frame: Frame): ReadonlyArray<Step> => {
    if (frame._tag === "TooLong") return [local(numeric("417", "Input line was too long"))]
    const parsed = parse(frame.text)
    if (parsed === undefined) return []
    // The 512-byte limit counts what follows the tags.
    const body = frame.text.startsWith("@") ? frame.text.slice(frame.text.indexOf(" ") + 1) : frame.text
    if (byteLength(body) > maxMessageBytes) return [local(numeric("417", "Input line was too long"))]
    // Bytes that were not UTF-8 were read as U+FFFD (`protocol/Frame`): the line is refused whole
    // rather than relayed garbled (ISUPPORT `UTF8ONLY`). A client that sends U+FFFD itself is refused too.
    if (frame.text.includes("\uFFFD")) {
      return [
        local(line(words.serverName, "FAIL", [parsed.command, "INVALID_UTF8", "Message rejected: not UTF-8"], true))
      ]
    }
    const params = parsed.params
    switch (parsed.command) {
      case "CAP":
        return cap(params)
      case "NICK":
        return onNick(params)
      case "USER":
        return onUser(params)
      case "PASS":
        if (nick !== undefined) return [local(numeric("462", "You may not reregister"))]
        if (params[0] === undefined || params[0] === "") return [needMoreParams("PASS")]
        password = params[0]
        return []
      case "PING":
        if (nick === undefined) {
          return params.length === 0
            ? [local(numeric("409", "No origin specified"))]
            : [local(words.pong(params[0]!))]
        }
        break
      case "QUIT":
        if (nick === undefined) {
          return [{ _tag: "Close", rendered: rendered([words.closing("Closing link (Quit)")]) }]
        }
        break
    }
    if (nick === undefined) {
      return beforeRegistration.has(parsed.command) ? [] : [local(numeric("451", "You have not registered"))]
    }
    return registered(parsed)
  }

  /** Follows the client's own nick in what the hub sends it. */
  const sink = (inner: Sink): Sink => {
    return {
      write: (text, count, canWait) => {
        if (enabled.has("userhost-in-names")) text = words.userhostInNames(text)
        if (nick !== undefined) {
          const renamed = words.ownNickChange(text, nick)
          if (renamed !== undefined) nick = renamed
        }
        inner.write(text, count, canWait)
      },
      close: inner.close
    }
  }

  return {
    read,
    registered: (registeredAs) => {
      nick = registeredAs
      registering = false
    },
    nickTaken: (error) => {
      registering = false
      const lines = [words.numericText(me(), "433", error.nick, "Nickname is already in use")]
      requested = undefined
      return rendered(lines)
    },
    sink,
    keepAlive: {
      ping: () => rendered([line(undefined, "PING", [words.serverName], true)]),
      idleTimeout: defaultIdleTimeout
    }
  }
}
