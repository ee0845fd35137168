/**
 * The chat's pure state and transitions, driven the way `Connection`, the
 * backplane and `Hub` drive them, and seen as users see them: each client has
 * a sink that collects its lines, and the events go through a `Fanout` and
 * the line protocol's renderers, as on a node.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck, HashMap, Option } from "effect"
import { Command } from "../../src/domain/Command.js"
import type { ClientId } from "../../src/domain/Domain.js"
import { DisconnectReason, lobby, Nick, RoomName } from "../../src/domain/Domain.js"
import type { Event } from "../../src/domain/Event.js"
import { Left } from "../../src/domain/Event.js"
import * as Fanout from "../../src/hub/Fanout.js"
import * as HubState from "../../src/hub/HubState.js"
import * as LineProtocol from "../../src/protocol/line/LineProtocol.js"

// ---------------------------------------------------------------------------
// A chat without sockets: the pure transitions, their events delivered by a
// `Fanout` to a collecting sink per client, rendered by the line protocol.

interface Chat {
  /** Connects a client into `#lobby`, as a line-protocol connection does: its sink is in place before its welcome. */
  readonly connect: () => ClientId
  /** Connects a client with other options than the line protocol's (IRC's: a nick, no room). */
  readonly connectWith: (options: HubState.ConnectOptions) => Either.Either<ClientId, string>
  /** A command as another protocol would parse it (several rooms, named rooms). */
  readonly run: (id: ClientId, command: Command) => void
  /** A line typed by the client: cleaned, ignored if blank, parsed and applied. */
  readonly send: (id: ClientId, line: string) => void
  readonly disconnect: (id: ClientId, reason: DisconnectReason) => void
  /** The lines the client has been sent since the last `read`, without `\n`; a close shows as `(close: REASON)`. */
  readonly read: (id: ClientId) => Array<string>
  /** Reads and forgets what the given clients have been sent so far. */
  readonly skip: (...ids: Array<ClientId>) => void
  readonly state: () => HubState.HubState
  /** Every event published so far. */
  readonly log: () => ReadonlyArray<Event>
  readonly nickOf: (id: ClientId) => string | undefined
}

const makeChat = (limits: HubState.Limits = { history: 50 }): Chat => {
  let state = HubState.make(limits)
  let nextId = 1
  const events: Array<Event> = []
  const fanout = Fanout.make()
  const unread = new Map<ClientId, Array<string>>()

  const commit = <A>(transition: HubState.Transition<A>): A => {
    state = transition.state
    events.push(...transition.events)
    for (const event of transition.events) fanout.deliver(event)
    return transition.result
  }

  const connectWith = (options: HubState.ConnectOptions): Either.Either<ClientId, string> => {
    const id = nextId++
    const out: Array<string> = []
    unread.set(id, out)
    fanout.add(id, {
      write: (text, count) => {
        const lines = text.split(/(?<=\n)/)
        assert.strictEqual(lines.length, count, `count of ${JSON.stringify(text)}`)
        for (const line of lines) {
          assert.strictEqual(line.indexOf("\n"), line.length - 1, `one line ending in \\n: ${JSON.stringify(line)}`)
          out.push(line.slice(0, -1))
        }
      },
      close: (reason) => {
        out.push(`(close: ${LineProtocol.leaveReason(reason)})`)
      }
    }, LineProtocol.render)
    return Either.match(HubState.connect(state, id, options), {
      onLeft: (refused) => {
        fanout.remove(id)
        return Either.left(LineProtocol.userError(refused).slice(0, -1))
      },
      onRight: (transition) => {
        commit(transition)
        return Either.right(id)
      }
    })
  }

  const connect = (): ClientId =>
    Either.getOrThrowWith(connectWith({ room: lobby }), (refused) => new Error(`connect refused: ${refused}`))

  const send = (id: ClientId, text: string): void => {
    // As a connection does: the line protocol's `parse` (clean, ignore if blank), then `applyAll`.
    const input = LineProtocol.parse(text)
    if (input === undefined) return
    commit(HubState.applyAll(state, id, [input]))
  }

  const disconnect = (id: ClientId, reason: DisconnectReason): void => {
    // As the hub does: the client's rooms hear why, then its sink is forgotten.
    commit(HubState.disconnect(state, id, reason))
    fanout.remove(id)
  }

  const read = (id: ClientId): Array<string> => {
    const out = unread.get(id)
    return out === undefined ? [] : out.splice(0, out.length)
  }

  return {
    connect,
    connectWith,
    run: (id, command) => commit(HubState.applyAll(state, id, [Either.right(command)])),
    send,
    disconnect,
    read,
    skip: (...ids) => ids.forEach(read),
    state: () => state,
    log: () => events,
    nickOf: (id) => Option.getOrUndefined(Option.map(HashMap.get(state.clients, id), (client) => client.nick))
  }
}

/** `parse` for a line known to be a command or a mistake, not blank. */
const input = (line: string) => LineProtocol.parseCommand(line)

const hint = "*** type /help for commands; lines not starting with / go to the room"

const welcome = (nick: string, here: number, room = "lobby"): Array<string> => [
  `*** welcome to chat, you are ${nick} in #${room} (${here} here)`,
  hint
]

/** The rooms of the snapshot, as plain strings. */
const roomsOf = (chat: Chat): Array<{ name: string; members: Array<string> }> =>
  HubState.snapshot(chat.state()).rooms.map((room) => ({ name: room.name, members: [...room.members] }))

/** Connects `count` clients and forgets their welcome lines. */
const connectAll = (chat: Chat, count: number): Array<ClientId> => {
  const ids = Array.from({ length: count }, () => chat.connect())
  chat.skip(...ids)
  return ids
}

describe("HubState", () => {
  describe("connecting", () => {
    it("welcomes guest-1 into #lobby, and tells the room of guest-2", () => {
      const chat = makeChat()
      const a = chat.connect()
      assert.deepStrictEqual(chat.read(a), welcome("guest-1", 1))
      const b = chat.connect()
      assert.deepStrictEqual(chat.read(b), welcome("guest-2", 2))
      assert.deepStrictEqual(chat.read(a), ["*** guest-2 joined #lobby"])
      assert.deepStrictEqual(chat.read(b), [])
    })

    it("gives every connection its own id", () => {
      const chat = makeChat()
      const ids = [chat.connect(), chat.connect(), chat.connect()]
      assert.strictEqual(new Set(ids).size, 3)
    })
  })

  describe("guest numbering", () => {
    it("takes the lowest free N from 1", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 3)
      assert.deepStrictEqual(ids.map(chat.nickOf), ["guest-1", "guest-2", "guest-3"])
    })

    it("reuses a number after a disconnect", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 3)
      chat.disconnect(b!, DisconnectReason.Closed())
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-2")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-4")
      chat.disconnect(a!, DisconnectReason.Closed())
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-1")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-5")
    })

    it("finds several freed numbers again, lowest first", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 5)
      chat.disconnect(ids[3]!, DisconnectReason.Closed())
      chat.disconnect(ids[1]!, DisconnectReason.Closed())
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-2")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-4")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-6")
    })

    it("reuses a number after its guest renames away", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 2)
      chat.send(a!, "/nick alice")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-1")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-3")
    })

    it("skips guest-3 when a user took it by /nick", () => {
      const chat = makeChat()
      const [, b] = connectAll(chat, 2)
      chat.send(b!, "/nick guest-3")
      assert.deepStrictEqual(chat.read(b!), ["*** you are now guest-3"])
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-2")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-4")
    })

    it("skips a number taken by /nick above the next free one", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/nick guest-2")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-1")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-3")
    })

    it("counts Guest-2 (another case) as occupying guest-2", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/nick Guest-2")
      assert.strictEqual(chat.nickOf(a!), "Guest-2")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-1")
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-3")
    })

    it("frees guest-2 again when Guest-2 leaves", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/nick Guest-2")
      connectAll(chat, 1)
      chat.disconnect(a!, DisconnectReason.Closed())
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-2")
    })

    it.prop(
      "always picks the lowest guest-N that no nick uses, in any case",
      [
        FastCheck.array(
          FastCheck.oneof(
            FastCheck.constant({ op: "connect" as const }),
            FastCheck.record({ op: FastCheck.constant("leave" as const), who: FastCheck.nat(20) }),
            FastCheck.record({
              op: FastCheck.constant("rename" as const),
              who: FastCheck.nat(20),
              to: FastCheck.constantFrom("guest-1", "guest-2", "GUEST-3", "Guest-4", "guest-5", "guest-02", "alice")
            })
          ),
          { maxLength: 60 }
        )
      ],
      ([steps]) => {
        const chat = makeChat()
        const live: Array<ClientId> = []
        const nicksInUse = (): Set<string> => new Set(live.map((id) => chat.nickOf(id)!.toLowerCase()))
        for (const step of steps) {
          if (step.op === "connect") {
            const used = nicksInUse()
            let n = 1
            while (used.has(`guest-${n}`)) n++
            const id = chat.connect()
            live.push(id)
            assert.strictEqual(chat.nickOf(id), `guest-${n}`)
          } else if (live.length > 0) {
            const id = live[step.who % live.length]!
            if (step.op === "leave") {
              chat.disconnect(id, DisconnectReason.Closed())
              live.splice(live.indexOf(id), 1)
            } else {
              const before = chat.nickOf(id)
              const taken = live.some((other) =>
                other !== id && chat.nickOf(other)!.toLowerCase() === step.to.toLowerCase()
              )
              chat.send(id, `/nick ${step.to}`)
              assert.strictEqual(chat.nickOf(id), taken ? before : step.to)
            }
          }
        }
        assert.strictEqual(HubState.snapshot(chat.state()).nicks, live.length)
      },
      { fastCheck: { seed: 7, numRuns: 300 } }
    )
  })

  describe("nicks", () => {
    it("renames: you are now NAME, and the room hears OLD is now NAME", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(c!, "/join dev")
      chat.skip(a!, b!, c!)
      chat.send(a!, "/nick alice")
      assert.deepStrictEqual(chat.read(a!), ["*** you are now alice"])
      assert.deepStrictEqual(chat.read(b!), ["*** guest-1 is now alice"])
      assert.deepStrictEqual(chat.read(c!), [])
    })

    it("refuses a nick taken in any case, keeping the old nick", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/nick alice")
      chat.skip(a!, b!)
      for (const attempt of ["alice", "ALICE", "Alice"]) {
        chat.send(b!, `/nick ${attempt}`)
        const [line, ...rest] = chat.read(b!)
        assert.match(line!, /^! nick (alice|ALICE|Alice) is taken$/)
        assert.deepStrictEqual(rest, [])
      }
      assert.strictEqual(chat.nickOf(b!), "guest-2")
      assert.deepStrictEqual(chat.read(a!), [])
    })

    // PROTOCOL.md: nicks "keep the case they were given; a reply names them in that case".
    it("names a taken nick in the case its owner gave it", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/nick alice")
      chat.skip(a!, b!)
      chat.send(b!, "/nick ALICE")
      assert.deepStrictEqual(chat.read(b!), ["! nick alice is taken"])
    })

    it("refuses another client's guest nick", () => {
      const chat = makeChat()
      const [, b] = connectAll(chat, 2)
      chat.send(b!, "/nick guest-1")
      assert.deepStrictEqual(chat.read(b!), ["! nick guest-1 is taken"])
    })

    it("renames to one's own nick in another case", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/nick alice")
      chat.skip(a!, b!)
      chat.send(a!, "/nick Alice")
      assert.deepStrictEqual(chat.read(a!), ["*** you are now Alice"])
      assert.deepStrictEqual(chat.read(b!), ["*** alice is now Alice"])
      assert.strictEqual(chat.nickOf(a!), "Alice")
      chat.send(b!, "/who")
      assert.deepStrictEqual(chat.read(b!), ["*** in #lobby: Alice, guest-2"])
    })

    it("frees the old nick on rename", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/nick alice")
      chat.skip(a!, b!)
      chat.send(b!, "/nick guest-1")
      assert.deepStrictEqual(chat.read(b!), ["*** you are now guest-1"])
      assert.deepStrictEqual(chat.read(a!), ["*** guest-2 is now guest-1"])
    })

    it("answers an invalid nick with its error, changing nothing", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/nick 9lives")
      assert.deepStrictEqual(chat.read(a!), [
        "! invalid nick \"9lives\" (1-24 of A-Z a-z 0-9 _ -, starting with a letter)"
      ])
      assert.deepStrictEqual(chat.read(b!), [])
      assert.strictEqual(chat.nickOf(a!), "guest-1")
    })
  })

  describe("rooms", () => {
    it("/join creates a room in the case given and moves the client", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/join Dev")
      assert.deepStrictEqual(chat.read(a!), ["*** joined #Dev (1 here: guest-1)"])
      assert.deepStrictEqual(chat.read(b!), ["*** guest-1 left #lobby (joined #Dev)"])
      chat.send(b!, "/rooms")
      assert.deepStrictEqual(chat.read(b!), ["*** rooms: #Dev (1), #lobby (1)"])
    })

    // The leave notice names the room as it was created, not as the joiner typed it.
    it("/join DEV and /join #Dev enter the existing #dev", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(a!, "/join dev")
      chat.skip(a!, b!, c!)
      chat.send(b!, "/join DEV")
      assert.deepStrictEqual(chat.read(b!), ["*** joined #dev (2 here: guest-1, guest-2)"])
      assert.deepStrictEqual(chat.read(a!), ["*** guest-2 joined #dev"])
      assert.deepStrictEqual(chat.read(c!), ["*** guest-2 left #lobby (joined #dev)"])
      chat.send(c!, "/join #Dev")
      assert.deepStrictEqual(chat.read(c!), ["*** joined #dev (3 here: guest-1, guest-2, guest-3)"])
      assert.deepStrictEqual(chat.read(a!), ["*** guest-3 joined #dev"])
      assert.deepStrictEqual(roomsOf(chat), [{ name: "dev", members: ["guest-1", "guest-2", "guest-3"] }])
    })

    it("joining one's own room, in any case, is an error that changes nothing", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      for (const line of ["/join lobby", "/join LOBBY", "/join #Lobby"]) {
        chat.send(a!, line)
        assert.deepStrictEqual(chat.read(a!), ["! you are already in #lobby"])
      }
      chat.send(a!, "/join Dev")
      chat.skip(a!, b!)
      chat.send(a!, "/join dev")
      assert.deepStrictEqual(chat.read(a!), ["! you are already in #Dev"])
      assert.deepStrictEqual(chat.read(b!), [])
    })

    it("an invalid room name is an error that changes nothing", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/join a b")
      assert.deepStrictEqual(chat.read(a!), ["! invalid room name \"a b\""])
      chat.send(a!, "/who")
      assert.deepStrictEqual(chat.read(a!), ["*** in #lobby: guest-1"])
    })

    it("an empty room disappears with its history", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/join dev")
      chat.send(a!, "secret")
      chat.send(a!, "/me hides")
      chat.send(a!, "/join lobby")
      chat.skip(a!, b!)
      chat.send(b!, "/rooms")
      assert.deepStrictEqual(chat.read(b!), ["*** rooms: #lobby (2)"])
      chat.send(b!, "/join DEV")
      assert.deepStrictEqual(chat.read(b!), ["*** joined #DEV (1 here: guest-2)"])
    })

    it("the lobby too disappears when empty, and comes back without history", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "hello")
      chat.disconnect(a!, DisconnectReason.Closed())
      assert.deepStrictEqual(roomsOf(chat), [])
      const b = chat.connect()
      assert.deepStrictEqual(chat.read(b), welcome("guest-1", 1))
    })

    it("a client who leaves a room is no longer counted there", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(a!, "/join dev")
      chat.send(b!, "/join dev")
      chat.send(a!, "/join ops")
      chat.skip(a!, b!, c!)
      chat.send(c!, "/rooms")
      assert.deepStrictEqual(chat.read(c!), ["*** rooms: #dev (1), #lobby (1), #ops (1)"])
      assert.deepStrictEqual(chat.read(b!), [])
    })
  })

  describe("history", () => {
    it("replays a room's messages and actions to a newcomer, in order and form, before live lines", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "one")
      chat.send(a!, "/me two")
      chat.send(a!, "//three")
      const b = chat.connect()
      chat.send(a!, "four")
      assert.deepStrictEqual(chat.read(b), [
        ...welcome("guest-2", 2),
        "<guest-1> one",
        "* guest-1 two",
        "<guest-1> /three",
        "<guest-1> four"
      ])
    })

    it("replays history on /join after the joined notice", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/join dev")
      chat.send(a!, "first")
      chat.send(a!, "/me second")
      chat.send(b!, "/join dev")
      assert.deepStrictEqual(chat.read(b!), [
        "*** guest-1 left #lobby (joined #dev)",
        "*** joined #dev (2 here: guest-1, guest-2)",
        "<guest-1> first",
        "* guest-1 second"
      ])
    })

    it("keeps messages in their original form after a rename", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "before")
      chat.send(a!, "/nick alice")
      chat.send(a!, "after")
      const b = chat.connect()
      assert.deepStrictEqual(chat.read(b), [...welcome("guest-1", 2), "<guest-1> before", "<alice> after"])
    })

    it("keeps only messages and actions: not notices, errors or private messages", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/nick alice")
      chat.send(a!, "/msg guest-2 psst")
      chat.send(a!, "/foo")
      chat.send(a!, "/who")
      chat.send(a!, "said")
      chat.send(b!, "/join dev")
      chat.send(b!, "/join lobby")
      chat.skip(b!)
      const c = chat.connect()
      // alice's rename freed guest-1.
      assert.deepStrictEqual(chat.read(c), [...welcome("guest-1", 3), "<alice> said"])
    })

    it("keeps the last H in order", () => {
      const chat = makeChat({ history: 3 })
      const [a] = connectAll(chat, 1)
      for (const line of ["m1", "m2", "/me m3", "m4", "m5"]) chat.send(a!, line)
      const b = chat.connect()
      assert.deepStrictEqual(chat.read(b), [...welcome("guest-2", 2), "* guest-1 m3", "<guest-1> m4", "<guest-1> m5"])
    })

    it("keeps none with H = 0", () => {
      const chat = makeChat({ history: 0 })
      const [a] = connectAll(chat, 1)
      chat.send(a!, "m1")
      chat.send(a!, "/me m2")
      const b = chat.connect()
      assert.deepStrictEqual(chat.read(b), welcome("guest-2", 2))
    })

    it("ignores blank lines and cleans control characters", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.skip(a!)
      chat.send(a!, "   ")
      chat.send(a!, "\u001b[2J")
      chat.send(a!, "\u0007\t")
      chat.send(a!, "\u001b[31mred\u001b[0m  ")
      assert.deepStrictEqual(chat.read(b!), ["<guest-1> [2J", "<guest-1> [31mred[0m"])
      assert.deepStrictEqual(chat.read(a!), [])
    })
  })

  describe("room messages", () => {
    it("reach the other members of the sender's room only", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(c!, "/join dev")
      chat.skip(a!, b!, c!)
      chat.send(a!, "hello")
      chat.send(a!, "/me waves")
      assert.deepStrictEqual(chat.read(a!), [])
      assert.deepStrictEqual(chat.read(b!), ["<guest-1> hello", "* guest-1 waves"])
      assert.deepStrictEqual(chat.read(c!), [])
    })

    it("are seen by every member in the same order", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.skip(a!, b!, c!)
      chat.send(a!, "1")
      chat.send(b!, "2")
      chat.send(c!, "3")
      chat.send(a!, "4")
      assert.deepStrictEqual(chat.read(a!), ["<guest-2> 2", "<guest-3> 3"])
      assert.deepStrictEqual(chat.read(b!), ["<guest-1> 1", "<guest-3> 3", "<guest-1> 4"])
      assert.deepStrictEqual(chat.read(c!), ["<guest-1> 1", "<guest-2> 2", "<guest-1> 4"])
    })
  })

  describe("lists", () => {
    it("/rooms lists rooms with their counts, sorted by lower-cased name", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 6)
      chat.send(ids[0]!, "/join Zed")
      chat.send(ids[1]!, "/join alpha")
      chat.send(ids[2]!, "/join _x")
      chat.send(ids[3]!, "/join 9")
      chat.send(ids[4]!, "/join alpha")
      chat.skip(...ids)
      chat.send(ids[5]!, "/rooms")
      assert.deepStrictEqual(chat.read(ids[5]!), ["*** rooms: #9 (1), #_x (1), #alpha (2), #lobby (1), #Zed (1)"])
    })

    it("/who lists the members of one's own room, guest-10 before guest-9", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 11)
      chat.send(ids[10]!, "/join elsewhere")
      chat.skip(...ids)
      chat.send(ids[0]!, "/who")
      assert.deepStrictEqual(chat.read(ids[0]!), [
        "*** in #lobby: guest-1, guest-10, guest-2, guest-3, guest-4, guest-5, guest-6, guest-7, guest-8, guest-9"
      ])
      chat.send(ids[10]!, "/who")
      assert.deepStrictEqual(chat.read(ids[10]!), ["*** in #elsewhere: guest-11"])
    })

    it("/who sorts without regard to case, in plain character order", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 5)
      const nicks = ["carol", "Bob", "a_b", "alice", "a-b"]
      ids.forEach((id, i) => chat.send(id, `/nick ${nicks[i]!}`))
      chat.skip(...ids)
      chat.send(ids[0]!, "/who")
      assert.deepStrictEqual(chat.read(ids[0]!), ["*** in #lobby: a-b, a_b, alice, Bob, carol"])
    })

    it("/join lists the members the same way", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 11)
      ids.slice(0, 10).forEach((id) => chat.send(id, "/join dev"))
      chat.skip(...ids)
      chat.send(ids[10]!, "/join dev")
      assert.deepStrictEqual(chat.read(ids[10]!), [
        "*** joined #dev (11 here: guest-1, guest-10, guest-11, guest-2, guest-3, guest-4, guest-5, guest-6, guest-7, guest-8, guest-9)"
      ])
    })
  })

  describe("private messages", () => {
    it("/msg BOB hi reaches bob, and the sent copy names bob", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(a!, "/nick alice")
      chat.send(b!, "/nick bob")
      chat.send(b!, "/join dev")
      chat.skip(a!, b!, c!)
      chat.send(a!, "/msg BOB hi there")
      assert.deepStrictEqual(chat.read(b!), ["[pm] <alice> hi there"])
      assert.deepStrictEqual(chat.read(a!), ["[pm -> bob] hi there"])
      assert.deepStrictEqual(chat.read(c!), [])
    })

    it("/msg to nobody: no such nick, as typed", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/msg bob hi")
      assert.deepStrictEqual(chat.read(a!), ["! no such nick bob"])
      assert.deepStrictEqual(chat.read(b!), [])
    })

    it("/msg to oneself shows both lines", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/msg GUEST-1 note to self")
      assert.deepStrictEqual(chat.read(a!), ["[pm] <guest-1> note to self", "[pm -> guest-1] note to self"])
    })

    it("/msg without text: usage", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/msg guest-1")
      assert.deepStrictEqual(chat.read(a!), ["! usage: /msg NICK TEXT"])
    })
  })

  describe("other commands", () => {
    it("/help: one notice per command", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/help")
      const lines = chat.read(a!)
      assert.isAtLeast(lines.length, 8)
      for (const line of lines) assert.isTrue(line.startsWith("*** "), line)
    })

    it("an unknown command", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      chat.send(a!, "/FOO bar")
      assert.deepStrictEqual(chat.read(a!), ["! unknown command /FOO (try /help)"])
    })

    it("/quit: bye, then the connection closes with the reason", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/quit gone fishing")
      assert.deepStrictEqual(chat.read(a!), ["*** bye", "(close: quit: gone fishing)"])
      assert.deepStrictEqual(chat.read(b!), [])
    })

    it("a command of a client already gone has no effect", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.disconnect(a!, DisconnectReason.Closed())
      chat.skip(b!)
      const before = chat.log().length
      const result = HubState.apply(chat.state(), a!, Command.Say({ text: "late" }))
      assert.isTrue(Either.isRight(result))
      assert.deepStrictEqual(Either.isRight(result) ? result.right.events : undefined, [])
      assert.strictEqual(chat.log().length, before)
    })
  })

  describe("a read's worth of lines at once (applyAll)", () => {
    it("replies to one client become one event, with every line in order", () => {
      const chat = makeChat()
      const [id] = connectAll(chat, 1)
      const { events } = HubState.applyAll(chat.state(), id!, [input("/who"), input("/foo"), input("/who")])
      assert.strictEqual(events.length, 1)
      const [event] = events
      assert.strictEqual(event!._tag, "Replied")
      assert.deepStrictEqual(event!._tag === "Replied" ? LineProtocol.replyText(event!.replies) : [], [
        "*** in #lobby: guest-1\n",
        "! unknown command /foo (try /help)\n",
        "*** in #lobby: guest-1\n"
      ])
    })

    // One 64 KB read under --rate 0 holds some 13,000 short commands: merging
    // their replies must cost in proportion to the lines, not to their square
    // (which held the whole server for seconds). The bound is 10× what it takes.
    it("costs in proportion to the lines: 13,000 /help in one read", () => {
      const chat = makeChat()
      const [id] = connectAll(chat, 1)
      const inputs = Array.from({ length: 13_000 }, () => input("/help"))
      const started = performance.now()
      const { events } = HubState.applyAll(chat.state(), id!, inputs)
      const millis = performance.now() - started
      assert.strictEqual(events.length, 1)
      assert.isBelow(millis, 1_000)
    })
  })

  describe("disconnecting", () => {
    const reasons: Array<readonly [DisconnectReason, string]> = [
      [DisconnectReason.Quit({ message: undefined }), "quit"],
      [DisconnectReason.Quit({ message: "gone fishing" }), "quit: gone fishing"],
      [DisconnectReason.Idle(), "idle"],
      [DisconnectReason.TooSlow(), "too slow"],
      [DisconnectReason.Closed(), "connection closed"],
      // Shutting down is the node's own now: in a cluster, the others see its clients leave.
      [DisconnectReason.ShuttingDown(), "server shutting down"],
      [DisconnectReason.ConnectionLost(), "connection lost"]
    ]

    for (const [reason, why] of reasons) {
      it(`tells the room (${why})`, () => {
        const chat = makeChat()
        const [a, b, c] = connectAll(chat, 3)
        chat.send(c!, "/join dev")
        chat.skip(a!, b!, c!)
        const transition = HubState.disconnect(chat.state(), a!, reason)
        // #lobby's events so far: three joins and guest-3's leave; this is its fifth.
        assert.deepStrictEqual(transition.events, [
          new Left({ client: a!, nick: Nick("guest-1"), room: RoomName("lobby"), seq: 5, reason })
        ])
        chat.disconnect(a!, reason)
        assert.deepStrictEqual(chat.read(b!), [`*** guest-1 left #lobby (${why})`])
        assert.deepStrictEqual(chat.read(c!), [])
      })
    }

    it("names the room the client was in, in its case", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.send(a!, "/join Dev")
      chat.send(b!, "/join dev")
      chat.send(a!, "/nick alice")
      chat.skip(a!, b!)
      chat.disconnect(a!, DisconnectReason.Idle())
      assert.deepStrictEqual(chat.read(b!), ["*** alice left #Dev (idle)"])
    })

    it("is a no-op for a client already gone", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 2)
      chat.disconnect(a!, DisconnectReason.Closed())
      const again = HubState.disconnect(chat.state(), a!, DisconnectReason.Closed())
      assert.deepStrictEqual(again.events, [])
      assert.strictEqual(again.state, chat.state())
      const unknown = HubState.disconnect(chat.state(), 999, DisconnectReason.Closed())
      assert.deepStrictEqual(unknown.events, [])
    })

    it("leaves nothing behind once everyone has left", () => {
      const chat = makeChat()
      const ids = connectAll(chat, 4)
      chat.send(ids[0]!, "/nick alice")
      chat.send(ids[1]!, "/join dev")
      chat.send(ids[1]!, "hello dev")
      chat.send(ids[2]!, "/join Ops")
      chat.send(ids[3]!, "/nick Guest-7")
      for (const id of ids) chat.disconnect(id, DisconnectReason.Closed())
      assert.deepStrictEqual(HubState.snapshot(chat.state()), { clients: 0, nicks: 0, rooms: [] })
      assert.strictEqual(chat.nickOf(chat.connect()), "guest-1")
    })
  })

  describe("several rooms per client (for protocols other than the line protocol)", () => {
    const dev = RoomName("dev")

    it("connects with no room: registered, in no room, and in nobody's sight", () => {
      const chat = makeChat()
      const [a] = connectAll(chat, 1)
      const b = Either.getOrThrow(chat.connectWith({}))
      assert.deepStrictEqual(chat.read(b), [
        "*** welcome to chat, you are guest-2",
        "*** type /help for commands; lines not starting with / go to the room"
      ])
      assert.deepStrictEqual(chat.read(a!), [])
      assert.deepStrictEqual(roomsOf(chat), [{ name: "lobby", members: ["guest-1"] }])
      chat.send(b, "hello?")
      assert.deepStrictEqual(chat.read(b), ["! you are in no room (try /join ROOM)"])
    })

    it("connects with a nick asked for, refused if taken in any case", () => {
      const chat = makeChat()
      const a = Either.getOrThrow(chat.connectWith({ nick: Nick("alice"), room: lobby }))
      assert.deepStrictEqual(chat.read(a), welcome("alice", 1))
      assert.deepStrictEqual(chat.connectWith({ nick: Nick("ALICE") }), Either.left("! nick alice is taken"))
      assert.deepStrictEqual(HubState.snapshot(chat.state()).clients, 1)
    })

    it("joins a second room without leaving the first, and speaks to each by name", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(c!, "/join dev")
      chat.skip(a!, b!, c!)
      chat.run(a!, Command.Join({ room: dev, alone: false }))
      assert.deepStrictEqual(chat.read(a!), ["*** joined #dev (2 here: guest-1, guest-3)"])
      assert.deepStrictEqual(chat.read(b!), [])
      assert.deepStrictEqual(chat.read(c!), ["*** guest-1 joined #dev"])
      chat.run(a!, Command.Say({ text: "to dev", room: dev }))
      chat.run(a!, Command.Act({ text: "waves at the lobby", room: lobby }))
      assert.deepStrictEqual(chat.read(b!), ["* guest-1 waves at the lobby"])
      assert.deepStrictEqual(chat.read(c!), ["<guest-1> to dev"])
      chat.run(a!, Command.Who({ room: dev }))
      assert.deepStrictEqual(chat.read(a!), ["*** in #dev: guest-1, guest-3"])
      assert.deepStrictEqual(roomsOf(chat), [
        { name: "dev", members: ["guest-1", "guest-3"] },
        { name: "lobby", members: ["guest-1", "guest-2"] }
      ])
    })

    it("a message without a room, or to a room one is not in, is refused", () => {
      const chat = makeChat()
      const [a, b] = connectAll(chat, 2)
      chat.run(a!, Command.Join({ room: dev, alone: false }))
      chat.skip(a!, b!)
      chat.run(a!, Command.Say({ text: "where?" }))
      chat.run(a!, Command.Say({ text: "here?", room: RoomName("ops") }))
      assert.deepStrictEqual(chat.read(a!), ["! you are in no room (try /join ROOM)", "! you are not in #ops"])
      assert.deepStrictEqual(chat.read(b!), [])
    })

    it("a rename and a disconnect are told once in each room", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(c!, "/join dev")
      chat.run(a!, Command.Join({ room: dev, alone: false }))
      chat.skip(a!, b!, c!)
      chat.send(a!, "/nick alice")
      assert.deepStrictEqual(chat.read(a!), ["*** you are now alice"])
      assert.deepStrictEqual(chat.read(b!), ["*** guest-1 is now alice"])
      assert.deepStrictEqual(chat.read(c!), ["*** guest-1 is now alice"])
      chat.disconnect(a!, DisconnectReason.Idle())
      assert.deepStrictEqual(chat.read(b!), ["*** alice left #lobby (idle)"])
      assert.deepStrictEqual(chat.read(c!), ["*** alice left #dev (idle)"])
      assert.deepStrictEqual(roomsOf(chat), [
        { name: "dev", members: ["guest-3"] },
        { name: "lobby", members: ["guest-2"] }
      ])
    })

    it("parts one room, keeping the other; parting a room one is not in is refused", () => {
      const chat = makeChat()
      const [a, b, c] = connectAll(chat, 3)
      chat.send(c!, "/join dev")
      chat.run(a!, Command.Join({ room: dev, alone: false }))
      chat.skip(a!, b!, c!)
      chat.run(a!, Command.Part({ room: dev, message: "back later" }))
      assert.deepStrictEqual(chat.read(a!), ["*** you left #dev"])
      assert.deepStrictEqual(chat.read(c!), ["*** guest-1 left #dev (left: back later)"])
      assert.deepStrictEqual(chat.read(b!), [])
      chat.run(a!, Command.Part({ room: dev, message: undefined }))
      assert.deepStrictEqual(chat.read(a!), ["! you are not in #dev"])
      chat.send(a!, "still in the lobby")
      assert.deepStrictEqual(chat.read(b!), ["<guest-1> still in the lobby"])
    })
  })
})
