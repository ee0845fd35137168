/**
 * Properties of the command parser: it never throws, whatever a client types,
 * and it accepts exactly the grammar of PROTOCOL.md ("Commands"), checked
 * against a second reading of that page written here from its text alone.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { clean } from "../../../src/domain/Domain.js"
import * as LineProtocol from "../../../src/protocol/line/LineProtocol.js"

/** A parse outcome as plain data: the command or the mistake, with its fields. */
type Outcome = ReadonlyArray<string | undefined>

const outcomeOf = (line: string): Outcome =>
  Either.match(LineProtocol.parseCommand(line), {
    onLeft: (error) => {
      switch (error._tag) {
        case "UnknownCommand":
          return ["UnknownCommand", error.command]
        case "Usage":
          // As the user reads it: the usage line names the command's syntax.
          return ["Usage", LineProtocol.userError(error)]
        case "InvalidNick":
          return ["InvalidNick", error.input]
        case "InvalidRoom":
          return ["InvalidRoom", error.input]
        default:
          // Mistakes only the hub finds (a taken nick, ...): never the parser's.
          return ["Unexpected", error._tag]
      }
    },
    onRight: (command) => {
      switch (command._tag) {
        case "Say":
        case "Act":
          // The line protocol speaks to the one room the client is in.
          return command.room === undefined ? [command._tag, command.text] : [command._tag, command.text, command.room]
        case "Rename":
          return ["Rename", command.nick]
        case "Join":
          // One room at a time: a join leaves the room the client was in.
          return command.alone ? ["Join", command.room] : ["JoinKeepingRooms", command.room]
        case "Whisper":
          return ["Whisper", command.to, command.text]
        case "Quit":
          return ["Quit", command.message]
        case "ListRooms":
        case "Help":
          return [command._tag]
        case "Who":
          return command.room === undefined ? ["Who"] : ["Who", command.room]
        case "Part":
          return ["Part", command.room, command.message]
        case "Ping":
        case "Whois":
        case "Lusers":
        case "Topic":
        case "Away":
        case "Oper":
        case "WhoMask":
        case "Mode":
        case "ListFiltered":
          // Other protocols' commands (IRC's PING, WHOIS, LUSERS): never the line parser's.
          return ["Unexpected", command._tag]
      }
    }
  })

// PROTOCOL.md, "Commands", read again: names are 1–24 of A-Z a-z 0-9 _ -
// starting with a letter; rooms 1–32 of the same, with an optional # before.
const nickRule = /^[A-Za-z][-A-Za-z0-9_]{0,23}$/
const roomRule = /^[-A-Za-z0-9_]{1,32}$/
/** The command word, then (after blanks) the rest of the line. */
const commandRule = /^\/([^ \t]*)(?:[ \t]+([^]*))?$/
/** `/msg`'s NICK, blanks, then TEXT: the whole rest, starting with a non-blank. */
const msgRule = /^([^ \t]+)[ \t]+([^ \t][^]*)$/

/** What PROTOCOL.md says a cleaned, non-empty line means. */
const specified = (line: string): Outcome => {
  if (!line.startsWith("/")) return ["Say", line]
  if (line.startsWith("//")) return ["Say", line.slice(1)]
  const [, name = "", rest = ""] = commandRule.exec(line) ?? []
  switch (name.toLowerCase()) {
    case "nick":
      if (rest === "") return ["Usage", "! usage: /nick NAME\n"]
      return nickRule.test(rest) ? ["Rename", rest] : ["InvalidNick", rest]
    case "join": {
      if (rest === "") return ["Usage", "! usage: /join ROOM\n"]
      const bare = rest.startsWith("#") ? rest.slice(1) : rest
      return roomRule.test(bare) ? ["Join", bare] : ["InvalidRoom", rest]
    }
    case "msg": {
      const match = msgRule.exec(rest)
      return match === null ? ["Usage", "! usage: /msg NICK TEXT\n"] : ["Whisper", match[1], match[2]]
    }
    case "me":
      return rest === "" ? ["Usage", "! usage: /me TEXT\n"] : ["Act", rest]
    case "quit":
      return ["Quit", rest === "" ? undefined : rest]
    // PROTOCOL.md gives these no arguments and says nothing of extra words;
    // the server ignores them, as IRC servers do.
    case "rooms":
      return ["ListRooms"]
    case "who":
      return ["Who"]
    case "help":
      return ["Help"]
    default:
      return ["UnknownCommand", `/${name}`]
  }
}

// ---------------------------------------------------------------------------
// Lines built from the grammar's pieces, near and across its edges.

const commandNames = ["nick", "join", "rooms", "who", "msg", "me", "quit", "help"]

/** Each letter in either case: command names are case-insensitive. */
const anyCase = (word: string) =>
  FastCheck.array(FastCheck.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) =>
    Array.from(word, (c, i) => upper[i] ? c.toUpperCase() : c).join("")
  )

const commandWord = FastCheck.oneof(
  { weight: 6, arbitrary: FastCheck.constantFrom(...commandNames).chain(anyCase) },
  // Near misses and strangers: `/nickname`, `/ms`, `/`, `/héllo`.
  {
    weight: 2,
    arbitrary: FastCheck.constantFrom(...commandNames).chain((name) =>
      FastCheck.oneof(FastCheck.constant(name.slice(0, -1)), FastCheck.constant(`${name}x`))
    )
  },
  {
    weight: 1,
    arbitrary: FastCheck.string({ unit: FastCheck.constantFrom("a", "z", "é", "/", "#", "1"), maxLength: 6 })
  }
)

const blanks = FastCheck.string({ unit: FastCheck.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 })

const nameChars = FastCheck.constantFrom("a", "Z", "q", "0", "9", "_", "-")
/** A length near the limits (24 for nicks, 32 for rooms) as often as any other. */
const nameLength = FastCheck.oneof(
  FastCheck.constantFrom(1, 2, 23, 24, 25, 31, 32, 33),
  FastCheck.integer({ min: 1, max: 34 })
)
const nameLike = FastCheck.oneof(
  // Names that start with a letter, as nicks must.
  {
    weight: 3,
    arbitrary: nameLength.chain((length) =>
      FastCheck.tuple(
        FastCheck.constantFrom("a", "B", "z"),
        FastCheck.string({ unit: nameChars, minLength: length - 1, maxLength: length - 1 })
      )
    ).map(([first, rest]) => first + rest)
  },
  // Names that may start with anything a room may start with.
  {
    weight: 2,
    arbitrary: nameLength.chain((length) => FastCheck.string({ unit: nameChars, minLength: length, maxLength: length }))
  },
  // Characters PROTOCOL.md does not allow in names.
  {
    weight: 1,
    arbitrary: FastCheck.string({
      unit: FastCheck.constantFrom("a", ".", "é", "😀", "#", "!", "\u00a0"),
      minLength: 1,
      maxLength: 6
    })
  }
)
const argument = FastCheck.oneof(
  nameLike,
  nameLike.map((name) => `#${name}`),
  FastCheck.string({ unit: "grapheme", minLength: 1, maxLength: 12 })
)

/** `/WORD`, then maybe blanks and up to three arguments separated by blanks; mostly one. */
const commandLine = FastCheck.tuple(
  commandWord,
  FastCheck.oneof(
    { weight: 1, arbitrary: FastCheck.constant([]) },
    { weight: 3, arbitrary: FastCheck.tuple(blanks, argument).map((arg) => [arg]) },
    { weight: 2, arbitrary: FastCheck.array(FastCheck.tuple(blanks, argument), { minLength: 2, maxLength: 3 }) }
  )
).map(([word, args]) => `/${word}${args.map(([gap, arg]) => gap + arg).join("")}`)

/** What the parser is given: a line as cleaned by the server, never empty. */
const cleaned = (arbitrary: FastCheck.Arbitrary<string>) => arbitrary.map(clean).filter((line) => line !== "")

describe("LineProtocol.parseCommand, for any line", () => {
  it.prop(
    "never throws, even on lines that were never cleaned",
    [
      FastCheck.oneof(
        FastCheck.string({ unit: "binary", maxLength: 60 }),
        FastCheck.string({ unit: "binary", maxLength: 60 }).map((text) => `/${text}`),
        commandLine
      )
    ],
    ([line]) => {
      const outcome = LineProtocol.parseCommand(line)
      assert.isTrue(Either.isEither(outcome))
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it.prop(
    "accepts exactly PROTOCOL.md's grammar: each command, usage line and invalid name as specified",
    [cleaned(commandLine)],
    ([line]) => {
      assert.deepStrictEqual(outcomeOf(line), specified(line), JSON.stringify(line))
    },
    { fastCheck: { numRuns: 3000 } }
  )

  it.prop(
    "takes any line not starting with / as a room message, unchanged",
    [cleaned(FastCheck.string({ unit: "grapheme", maxLength: 40 })).filter((line) => !line.startsWith("/"))],
    ([line]) => {
      assert.deepStrictEqual(outcomeOf(line), ["Say", line])
    }
  )

  it.prop(
    "sends //TEXT as the room message /TEXT",
    [cleaned(FastCheck.string({ unit: "grapheme", maxLength: 40 }).map((text) => `//${text}`))],
    ([line]) => {
      assert.deepStrictEqual(outcomeOf(line), ["Say", line.slice(1)])
    }
  )

  it.prop(
    "renders every mistake as one `!` line",
    [cleaned(commandLine)],
    ([line]) => {
      Either.match(LineProtocol.parseCommand(line), {
        onLeft: (error) => assert.match(LineProtocol.userError(error), /^! [^\n]*\n$/),
        onRight: () => undefined
      })
    }
  )
})
