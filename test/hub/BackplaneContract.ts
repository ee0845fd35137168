/**
 * The contract every backplane keeps, as a suite any implementation runs
 * unchanged: `backplaneContract("memory", (history) => Backplane.layerMemory({ history }))`.
 * Each test builds a fresh backplane (a fresh chat) and drives it as a node
 * would: allocate, connect, execute, watch the ordered events.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Context, Effect, Either, Exit, Layer, Schema } from "effect"
import { Command } from "../../src/domain/Command.js"
import type { Input } from "../../src/domain/Command.js"
import type { ClientId, Nick, RoomName, UserError, UserInfo } from "../../src/domain/Domain.js"
import { closed, NotInRoom, quit, UnknownCommand } from "../../src/domain/Domain.js"
import type { Reply, RoomEvent } from "../../src/domain/Event.js"
import { Event } from "../../src/domain/Event.js"
import type { BackplaneShape, Events } from "../../src/hub/Backplane.js"
import { Backplane } from "../../src/hub/Backplane.js"

export type MakeBackplane = (history: number) => Layer.Layer<Backplane, unknown>

const nick = (s: string) => s as Nick
const room = (s: string) => s as RoomName
const ok = (command: Command): Input => Either.right(command)
const mistake = (error: UserError): Input => Either.left(error)

/** A node's view: every event it was given, in order, and a way to wait for the next one of a kind. */
interface Watch {
  readonly seen: Array<Event>
  readonly batches: Array<ReadonlyArray<Event>>
  /** The next event (after the last one waited for) that matches, waiting up to 5 s. */
  readonly next: <A extends Event>(match: (event: Event) => event is A) => Effect.Effect<A>
  /** Every event given so far that matches. */
  readonly all: <A extends Event>(match: (event: Event) => event is A) => Effect.Effect<Array<A>>
}

/**
 * An event as it reaches a node over the wire (Schema-encoded, JSON, decoded):
 * a field left undefined and a field left out are the same fact, so every
 * backplane is compared on what it would send.
 */
const encodeEvent = Schema.encodeSync(Event)
const decodeEvent = Schema.decodeUnknownSync(Event)
const wire = (event: Event): Event => decodeEvent(JSON.parse(JSON.stringify(encodeEvent(event))))

const watch = (events: Events): Watch => {
  const seen: Array<Event> = []
  const batches: Array<ReadonlyArray<Event>> = []
  let cursor = 0
  const more = events.takeAll.pipe(Effect.map((taken) => {
    for (const batch of taken) {
      const arrived = batch.map(wire)
      batches.push(arrived)
      seen.push(...arrived)
    }
  }))
  const next = <A extends Event>(match: (event: Event) => event is A): Effect.Effect<A> =>
    Effect.gen(function*() {
      for (;;) {
        for (let i = cursor; i < seen.length; i++) {
          const event = seen[i]!
          if (match(event)) {
            cursor = i + 1
            return event
          }
        }
        yield* more
      }
    }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "no such event within 5 s" }), Effect.orDie)
  // Waits a moment for stragglers, then reads what came.
  const all = <A extends Event>(match: (event: Event) => event is A) =>
    more.pipe(
      Effect.timeoutOption("200 millis"),
      Effect.repeatN(2),
      Effect.map(() => seen.filter(match))
    )
  return { seen, batches, next, all }
}

const replyTo = (client: ClientId) => (event: Event): event is Extract<Event, { _tag: "Replied" }> =>
  event._tag === "Replied" && event.client === client
const roomEvent = (name: string) => (event: Event): event is RoomEvent =>
  "seq" in event && event.room.toLowerCase() === name.toLowerCase()
const tagged =
  <T extends Event["_tag"]>(tag: T, name?: string) => (event: Event): event is Extract<Event, { _tag: T }> =>
    event._tag === tag && (name === undefined || ("room" in event && event.room === name))

const replyOf = <T extends Reply["_tag"]>(event: Extract<Event, { _tag: "Replied" }>, tag: T) => {
  const found = event.replies.find((reply) => reply._tag === tag)
  assert.isDefined(found, `a ${tag} reply in ${JSON.stringify(event.replies)}`)
  return found as Extract<Reply, { _tag: T }>
}

/** The next reply of that kind to that client. */
const nextReply = <T extends Reply["_tag"]>(node: Watch, client: ClientId, tag: T) =>
  node.next((event): event is Extract<Event, { _tag: "Replied" }> =>
    event._tag === "Replied" && event.client === client && event.replies.some((reply) => reply._tag === tag)
  ).pipe(Effect.map((event) => replyOf(event, tag)))

export const backplaneContract = (name: string, make: MakeBackplane): void => {
  /** Runs `body` with a fresh backplane and a node's watch on it. */
  const withChat = <A, E>(
    history: number,
    body: (bp: BackplaneShape, node: Watch) => Effect.Effect<A, E, Scope.Scope>
  ) =>
    Effect.gen(function*() {
      const context = yield* Layer.build(make(history))
      const bp = Context.get(context, Backplane)
      const node = watch(yield* bp.subscribe)
      return yield* body(bp, node)
    })

  const enter = (bp: BackplaneShape, as?: string, where?: string | null, info?: UserInfo) =>
    Effect.gen(function*() {
      const client = yield* bp.allocateId
      const given = yield* bp.connect({
        client,
        nick: as === undefined ? undefined : nick(as),
        room: where === null ? undefined : room(where ?? "lobby"),
        info
      })
      return { client, nick: given }
    })

  describe(`backplane contract: ${name}`, () => {
    it.scopedLive("connect gives the lowest free guest-N, and a freed one again", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp)
          const b = yield* enter(bp)
          const c = yield* enter(bp)
          assert.deepStrictEqual([a.nick, b.nick, c.nick], ["guest-1", "guest-2", "guest-3"])
          const welcome = yield* nextReply(node, c.client, "Welcome")
          assert.strictEqual(welcome.here, 3)
          yield* bp.disconnect(b.client, closed)
          const d = yield* enter(bp)
          assert.strictEqual(d.nick, "guest-2")
          const e = yield* enter(bp)
          assert.strictEqual(e.nick, "guest-4")
        })))

    it.scopedLive("nicks are unique without regard to case, and a rename to a taken one fails", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const alice = yield* enter(bp, "alice")
          const taken = yield* Effect.exit(enter(bp, "ALICE"))
          assert.isTrue(Exit.isFailure(taken))
          const error = Exit.isFailure(taken) ? JSON.stringify(taken.cause) : ""
          assert.include(error, "NickTaken")
          assert.include(error, "\"alice\"")
          const bob = yield* enter(bp, "bob")
          yield* bp.execute(bob.client, [ok(Command.Rename({ nick: nick("Alice") }))])
          const failed = yield* nextReply(node, bob.client, "Failed")
          assert.deepStrictEqual(failed.error._tag, "NickTaken")
          yield* bp.execute(alice.client, [ok(Command.Rename({ nick: nick("Alice") }))])
          const changed = yield* nextReply(node, alice.client, "NickChanged")
          assert.strictEqual(changed.nick, "Alice")
        })))

    it.scopedLive("joins, leaves, renames and messages are numbered in each room, in order", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a")
          const b = yield* enter(bp, "b")
          yield* bp.execute(a.client, [ok(Command.Say({ text: "one" })), ok(Command.Act({ text: "waves" }))])
          yield* bp.execute(b.client, [ok(Command.Rename({ nick: nick("bee") }))])
          yield* bp.execute(b.client, [ok(Command.Join({ room: room("dev"), alone: true }))])
          yield* bp.execute(a.client, [ok(Command.Say({ text: "two" }))])
          yield* bp.execute(b.client, [ok(Command.Say({ text: "in dev" }))])
          yield* node.next((e): e is RoomEvent => tagged("Said", "lobby")(e) && e.text === "two")
          yield* node.next(tagged("Said", "dev"))
          const lobby = node.seen.filter(roomEvent("lobby"))
          assert.deepStrictEqual(lobby.map((e) => e._tag), [
            "Joined",
            "Joined",
            "Said",
            "Acted",
            "Renamed",
            "Left",
            "Said"
          ])
          const seqs = lobby.map((e) => e.seq)
          seqs.forEach((seq, i) => assert.strictEqual(seq, seqs[0]! + i))
          const left = lobby[5]!
          assert.deepStrictEqual(left._tag === "Left" ? left.reason : undefined, { _tag: "Moved", to: room("dev") })
          const dev = node.seen.filter(roomEvent("dev"))
          assert.deepStrictEqual(dev.map((e) => [e._tag, e.nick]), [["Joined", "bee"], ["Said", "bee"]])
          assert.strictEqual(dev[1]!.seq, dev[0]!.seq + 1)
        })))

    it.scopedLive("a newcomer gets the room's last messages, and an emptied room forgets them", () =>
      withChat(2, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a")
          yield* bp.execute(a.client, ["1", "2", "3"].map((text) => ok(Command.Say({ text }))))
          const b = yield* enter(bp, "b")
          const welcome = yield* nextReply(node, b.client, "Welcome")
          assert.deepStrictEqual(welcome.history.map((e) => e.text), ["2", "3"])
          yield* bp.execute(a.client, [ok(Command.Join({ room: room("dev"), alone: true }))])
          const entered = yield* nextReply(node, a.client, "Entered")
          assert.deepStrictEqual(entered.history, [])
          assert.deepStrictEqual(entered.members, [nick("a")])
          yield* bp.execute(b.client, [ok(Command.Join({ room: room("dev"), alone: true }))])
          const back = yield* nextReply(node, b.client, "Entered")
          assert.deepStrictEqual(back.members, [nick("a"), nick("b")])
          // Lobby is empty now: its history went with it.
          const c = yield* enter(bp, "c")
          const fresh = yield* nextReply(node, c.client, "Welcome")
          assert.deepStrictEqual(fresh.history, [])
          assert.strictEqual(fresh.here, 1)
        })))

    it.scopedLive("who and rooms count everyone, sorted", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const zed = yield* enter(bp, "zed")
          yield* enter(bp, "Amy")
          const bob = yield* enter(bp, "bob")
          yield* bp.execute(bob.client, [ok(Command.Join({ room: room("Dev"), alone: true }))])
          yield* bp.execute(zed.client, [ok(Command.Who({})), ok(Command.ListRooms())])
          const rooms = yield* nextReply(node, zed.client, "RoomList")
          const who = node.seen.filter(replyTo(zed.client)).flatMap((e) => e.replies).find((r) => r._tag === "WhoList")
          assert.deepStrictEqual(who, { _tag: "WhoList", room: room("lobby"), members: [nick("Amy"), nick("zed")] })
          assert.deepStrictEqual(rooms.rooms, [{ room: room("Dev"), members: 1 }, { room: room("lobby"), members: 2 }])
          const snapshot = yield* bp.snapshot
          assert.strictEqual(snapshot.clients, 3)
          assert.deepStrictEqual(snapshot.rooms, [
            { name: room("Dev"), members: [nick("bob")] },
            { name: room("lobby"), members: [nick("Amy"), nick("zed")] }
          ])
        })))

    it.scopedLive("a whisper reaches the nick in any case, and an unknown nick is a mistake", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const alice = yield* enter(bp, "alice")
          const bob = yield* enter(bp, "bob", null)
          yield* bp.execute(alice.client, [ok(Command.Whisper({ to: "BOB", text: "psst" }))])
          const whisper = yield* node.next(tagged("Whispered"))
          assert.deepStrictEqual(
            [whisper.from, whisper.fromNick, whisper.to, whisper.toNick, whisper.text],
            [alice.client, "alice", bob.client, "bob", "psst"]
          )
          yield* bp.execute(alice.client, [ok(Command.Whisper({ to: "carol", text: "hi" }))])
          const failed = yield* nextReply(node, alice.client, "Failed")
          assert.deepStrictEqual(failed.error._tag, "NoSuchNick")
        })))

    it.scopedLive("a client in zero rooms, then in several; disconnecting leaves each and frees the nick", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const solo = yield* enter(bp, "solo", null)
          yield* nextReply(node, solo.client, "Registered")
          yield* bp.execute(solo.client, [ok(Command.Say({ text: "anyone?" }))])
          const nowhere = yield* nextReply(node, solo.client, "Failed")
          assert.deepStrictEqual(nowhere.error._tag, "NotInRoom")
          const watcher = yield* enter(bp, "watcher", "a")
          yield* bp.execute(watcher.client, [ok(Command.Join({ room: room("b"), alone: false }))])
          yield* bp.execute(solo.client, [
            ok(Command.Join({ room: room("a"), alone: false })),
            ok(Command.Join({ room: room("b"), alone: false })),
            ok(Command.Say({ text: "to b", room: room("B") })),
            ok(Command.Say({ text: "which room?" })),
            mistake(new UnknownCommand({ command: "/frob" }))
          ])
          const said = yield* node.next(tagged("Said"))
          assert.deepStrictEqual([said.room, said.text], ["b", "to b"])
          const quitting = yield* bp.execute(solo.client, [ok(Command.Quit({ message: "bye all" }))])
          assert.deepStrictEqual(quitting, quit("bye all"))
          yield* bp.disconnect(solo.client, quit("bye all"))
          const leftA = yield* node.next(tagged("Left", "a"))
          const leftB = yield* node.next(tagged("Left", "b"))
          assert.deepStrictEqual([leftA.nick, leftA.reason], ["solo", quit("bye all")])
          assert.deepStrictEqual([leftB.nick, leftB.reason], ["solo", quit("bye all")])
          const replies = (yield* node.all(replyTo(solo.client))).flatMap((e) => e.replies.map((r) => r._tag))
          assert.deepStrictEqual(replies, [
            "Registered",
            "Failed",
            "Entered",
            "Entered",
            "Failed",
            "Failed",
            "Bye"
          ])
          const again = yield* enter(bp, "SOLO")
          assert.strictEqual(again.nick, "SOLO")
        })))

    it.scopedLive("two subscribers get the same batches in the same order", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const other = watch(yield* bp.subscribe)
          const a = yield* enter(bp, "a")
          const b = yield* enter(bp, "b")
          for (let i = 0; i < 20; i++) {
            yield* bp.execute(i % 2 === 0 ? a.client : b.client, [ok(Command.Say({ text: `line ${i}` }))])
          }
          yield* bp.execute(b.client, [ok(Command.Join({ room: room("dev"), alone: true }))])
          yield* node.next(tagged("Joined", "dev"))
          yield* other.next(tagged("Joined", "dev"))
          const texts = node.seen.filter(tagged("Said")).map((e) => e.text)
          assert.deepStrictEqual(texts, Array.from({ length: 20 }, (_, i) => `line ${i}`))
          assert.deepStrictEqual(other.seen, node.seen)
        })))

    it.scopedLive("tell reaches one client in order with the rest, and close ends it", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a")
          yield* bp.execute(a.client, [ok(Command.Help())])
          yield* bp.tell(a.client, [{ _tag: "Bye" }], quit(undefined))
          yield* nextReply(node, a.client, "Help")
          const bye = yield* node.next(replyTo(a.client))
          replyOf(bye, "Bye")
          assert.deepStrictEqual(bye.close, quit(undefined))
        })))
  })

  // What IRC asks of the shared state: in a cluster as on one node.
  describe(`backplane contract, IRC: ${name}`, () => {
    const alInfo: UserInfo = { user: "al", realname: "Alice Liddell" }

    it.scopedLive("ping is answered with pong, in order with the rest, the reply naming the client", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a")
          yield* enter(bp, "b")
          yield* bp.execute(a.client, [
            ok(Command.Ping({ token: "t1" })),
            ok(Command.Join({ room: room("dev"), alone: false })),
            ok(Command.Say({ text: "between", room: room("lobby") })),
            ok(Command.Whois({ nick: "b" })),
            ok(Command.Ping({ token: "t2" }))
          ])
          yield* nextReply(node, a.client, "Pong")
          const second = yield* nextReply(node, a.client, "Pong")
          assert.deepStrictEqual(second, { _tag: "Pong", token: "t2" })
          // In order with every other reply. (Where the client's own message
          // falls among its replies nobody can see: it is not shown to its sender.)
          const replies = node.seen.filter(replyTo(a.client))
          assert.deepStrictEqual(
            replies.map((e) => [e.nick, ...e.replies.map((r) => r._tag === "Pong" ? r.token : r._tag)]),
            [["a", "Welcome"], ["a", "t1"], ["a", "Entered"], ["a", "WhoisInfo", "t2"]]
          )
          assert.deepStrictEqual(node.seen.filter(tagged("Said")).map((e) => [e.room, e.text]), [["lobby", "between"]])
        })))

    it.scopedLive("whois: a nick's rooms in the order entered and what it said of itself; an unknown nick", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const alice = yield* enter(bp, "alice", "lobby", alInfo)
          yield* bp.execute(alice.client, [ok(Command.Join({ room: room("Dev"), alone: false }))])
          const bob = yield* enter(bp, "bob", null)
          yield* bp.execute(bob.client, [
            ok(Command.Whois({ nick: "ALICE" })),
            ok(Command.Whois({ nick: "nobody", brief: true })),
            ok(Command.Whois({ nick: "bob", brief: false }))
          ])
          yield* nextReply(node, bob.client, "WhoisInfo")
          const replies = node.seen.filter(replyTo(bob.client)).flatMap((e) => e.replies)
            .filter((r) => r._tag === "WhoisInfo")
          assert.deepStrictEqual(replies, [
            { _tag: "WhoisInfo", nick: "alice", rooms: [room("lobby"), room("Dev")], info: alInfo },
            { _tag: "WhoisInfo", nick: "nobody", rooms: undefined, brief: true },
            { _tag: "WhoisInfo", nick: "bob", rooms: [], brief: false }
          ])
        })))

    it.scopedLive("lusers and registering count clients and the rooms with someone in them", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          yield* enter(bp, "a", "one")
          yield* enter(bp, "b", "two")
          const c = yield* enter(bp, "c", null)
          const registered = yield* nextReply(node, c.client, "Registered")
          assert.deepStrictEqual(registered, { _tag: "Registered", nick: nick("c"), users: { clients: 3, rooms: 2 } })
          yield* bp.execute(c.client, [ok(Command.Join({ room: room("one"), alone: false })), ok(Command.Lusers())])
          const counts = yield* nextReply(node, c.client, "Counts")
          assert.deepStrictEqual(counts, { _tag: "Counts", users: { clients: 3, rooms: 2 } })
        })))

    it.scopedLive("a topic is set by a member, numbered in the room, read by anyone, and shown on entering", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a", "lobby")
          const b = yield* enter(bp, "b", "dev")
          yield* bp.execute(a.client, [
            ok(Command.Say({ text: "before" })),
            ok(Command.Topic({ room: room("LOBBY"), text: "hello world" }))
          ])
          const set = (yield* node.all(tagged("TopicSet"))).at(-1)!
          const said = node.seen.filter(tagged("Said", "lobby"))[0]!
          assert.deepStrictEqual(
            [set.room, set.nick, set.client, set.topic, set.seq],
            [room("lobby"), "a", a.client, "hello world", said.seq + 1]
          )
          const changed = yield* nextReply(node, a.client, "Topic")
          assert.deepStrictEqual(changed, { _tag: "Topic", room: room("lobby"), topic: "hello world", changed: true })
          yield* bp.execute(b.client, [
            ok(Command.Topic({ room: room("lobby") })),
            ok(Command.Topic({ room: room("lobby"), text: "not yours" })),
            ok(Command.Topic({ room: room("nowhere") })),
            ok(Command.Join({ room: room("lobby"), alone: false }))
          ])
          const entered = yield* nextReply(node, b.client, "Entered")
          assert.deepStrictEqual(entered.topic, "hello world")
          const replies = node.seen.filter(replyTo(b.client)).flatMap((e) => e.replies)
          assert.deepStrictEqual(replies.slice(1, 4), [
            { _tag: "Topic", room: room("lobby"), topic: "hello world" },
            { _tag: "Failed", error: new NotInRoom({ room: room("lobby") }) },
            { _tag: "Failed", error: new NotInRoom({ room: room("nowhere"), missing: true }) }
          ])
          // Cleared: the event says so with an empty topic; the room has none.
          yield* bp.execute(b.client, [ok(Command.Topic({ room: room("lobby"), text: "" }))])
          const cleared = yield* node.next(tagged("TopicSet"))
          assert.deepStrictEqual([cleared.nick, cleared.topic, cleared.seq], ["b", "", set.seq + 2])
          yield* bp.execute(a.client, [ok(Command.Topic({ room: room("lobby") }))])
          const none = yield* nextReply(node, a.client, "Topic")
          assert.deepStrictEqual(none, { _tag: "Topic", room: room("lobby"), topic: undefined })
          // A topic goes with its emptied room.
          yield* bp.execute(a.client, [ok(Command.Topic({ room: room("dev"), text: "dev talk" }))])
          yield* bp.execute(b.client, [ok(Command.Topic({ room: room("dev"), text: "dev talk" }))])
          yield* bp.disconnect(b.client, closed)
          const c = yield* enter(bp, "c", "lobby")
          yield* bp.execute(c.client, [ok(Command.Join({ room: room("dev"), alone: false }))])
          const fresh = yield* nextReply(node, c.client, "Entered")
          assert.deepStrictEqual([fresh.room, fresh.topic, fresh.members], [room("dev"), undefined, [nick("c")]])
        })))

    it.scopedLive("who, full, gives each member's info in the order of the members", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          yield* enter(bp, "zed", "lobby")
          yield* enter(bp, "alice", "lobby", alInfo)
          const carol = yield* enter(bp, "carol", null, { user: "c", realname: "" })
          yield* bp.execute(carol.client, [
            ok(Command.Who({ room: room("LOBBY"), full: true })),
            ok(Command.Who({ room: room("empty"), full: true })),
            ok(Command.Who({ room: room("lobby"), full: false }))
          ])
          yield* nextReply(node, carol.client, "WhoList")
          const lists = node.seen.filter(replyTo(carol.client)).flatMap((e) => e.replies)
            .filter((r) => r._tag === "WhoList")
          assert.deepStrictEqual(lists, [
            {
              _tag: "WhoList",
              room: room("lobby"),
              members: [nick("alice"), nick("zed")],
              full: true,
              infos: [alInfo, undefined],
              away: [false, false]
            },
            { _tag: "WhoList", room: room("empty"), members: [], full: true },
            { _tag: "WhoList", room: room("lobby"), members: [nick("alice"), nick("zed")] }
          ])
        })))

    it.scopedLive("away is kept with the client: shown by whois, who and to whoever whispers to it, until back", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const alice = yield* enter(bp, "alice", "lobby", alInfo)
          const bob = yield* enter(bp, "bob", "lobby")
          yield* bp.execute(alice.client, [ok(Command.Away({ message: "lunch" }))])
          const set = yield* nextReply(node, alice.client, "AwaySet")
          assert.deepStrictEqual(set, { _tag: "AwaySet", away: true })
          yield* bp.execute(bob.client, [
            ok(Command.Whois({ nick: "alice" })),
            ok(Command.Who({ room: room("lobby"), full: true })),
            ok(Command.Whisper({ to: "alice", text: "hungry?" }))
          ])
          const whisper = yield* node.next(tagged("Whispered"))
          assert.deepStrictEqual([whisper.text, whisper.away], ["hungry?", "lunch"])
          const replies = node.seen.filter(replyTo(bob.client)).flatMap((e) => e.replies)
          assert.deepStrictEqual(replies.slice(1), [
            { _tag: "WhoisInfo", nick: "alice", rooms: [room("lobby")], info: alInfo, away: "lunch" },
            {
              _tag: "WhoList",
              room: room("lobby"),
              members: [nick("alice"), nick("bob")],
              full: true,
              infos: [alInfo, undefined],
              away: [true, false]
            }
          ])
          yield* bp.execute(alice.client, [ok(Command.Away({ message: undefined }))])
          const back = yield* nextReply(node, alice.client, "AwaySet")
          assert.deepStrictEqual(back, { _tag: "AwaySet", away: false })
          yield* bp.execute(bob.client, [
            ok(Command.Whisper({ to: "alice", text: "back?" })),
            ok(Command.Whois({ nick: "alice" }))
          ])
          const again = yield* nextReply(node, bob.client, "WhoisInfo")
          assert.strictEqual(again.away, undefined)
          const second = node.seen.filter(tagged("Whispered"))[1]!
          assert.deepStrictEqual([second.text, second.away], ["back?", undefined])
        })))

    it.scopedLive("renaming: the reply says from what, names the new nick, and each of the client's rooms hears it", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a", "one")
          yield* bp.execute(a.client, [ok(Command.Join({ room: room("two"), alone: false }))])
          yield* bp.execute(a.client, [ok(Command.Rename({ nick: nick("Ann") }))])
          const changed = yield* node.next((e): e is Extract<Event, { _tag: "Replied" }> =>
            replyTo(a.client)(e) && e.replies.some((r) => r._tag === "NickChanged")
          )
          assert.strictEqual(changed.nick, "Ann")
          assert.deepStrictEqual(changed.replies, [{ _tag: "NickChanged", nick: nick("Ann"), from: nick("a") }])
          const renamed = node.seen.filter(tagged("Renamed"))
          assert.deepStrictEqual(renamed.map((e) => [e.room, e.nick, e.to]), [["one", "a", "Ann"], ["two", "a", "Ann"]])
          // The same nick again: nothing changed, nothing said to the rooms.
          yield* bp.execute(a.client, [
            ok(Command.Rename({ nick: nick("Ann") })),
            ok(Command.Quit({ message: undefined }))
          ])
          const same = yield* nextReply(node, a.client, "NickChanged")
          assert.deepStrictEqual(same, { _tag: "NickChanged", nick: nick("Ann") })
          const bye = node.seen.filter(replyTo(a.client)).at(-1)!
          assert.deepStrictEqual([bye.nick, bye.replies.map((r) => r._tag), bye.close], [
            "Ann",
            ["NickChanged", "Bye"],
            quit(undefined)
          ])
          yield* bp.tell(a.client, [{ _tag: "ShuttingDown" }])
          const told = yield* nextReply(node, a.client, "ShuttingDown")
          assert.deepStrictEqual(told, { _tag: "ShuttingDown" })
          assert.strictEqual(node.seen.filter(replyTo(a.client)).at(-1)!.nick, "Ann")
        })))

    it.scopedLive("a client in several rooms speaks, and notices, to each by name; without a name it must say which", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a", null, alInfo)
          const b = yield* enter(bp, "b", "two")
          yield* bp.execute(a.client, [
            ok(Command.Join({ room: room("one"), alone: false })),
            ok(Command.Join({ room: room("Two"), alone: false })),
            ok(Command.Say({ text: "hi one", room: room("one") })),
            ok(Command.Say({ text: "psst two", room: room("two"), notice: true })),
            ok(Command.Act({ text: "waves", room: room("TWO") })),
            ok(Command.Say({ text: "where?" })),
            ok(Command.Who({}))
          ])
          yield* node.next(tagged("Acted"))
          const two = node.seen.filter(roomEvent("two"))
          assert.deepStrictEqual(two.map((e) => [e._tag, e.nick, "text" in e ? e.text : ""]), [
            ["Joined", "b", ""],
            ["Joined", "a", ""],
            ["Said", "a", "psst two"],
            ["Acted", "a", "waves"]
          ])
          two.forEach((e, i) => assert.strictEqual(e.seq, two[0]!.seq + i))
          const notice = two[2]!
          assert.isTrue(notice._tag === "Said" && notice.notice === true)
          const one = node.seen.filter(tagged("Said", "one"))[0]!
          assert.isTrue(one._tag === "Said" && one.notice === undefined)
          const replies = (yield* node.all(replyTo(a.client))).flatMap((e) => e.replies)
          assert.deepStrictEqual(replies.map((r) => r._tag), [
            "Registered",
            "Entered",
            "Entered",
            "Failed",
            "Failed"
          ])
          const entered = replies[2]!
          assert.deepStrictEqual(
            entered._tag === "Entered" ? [entered.room, entered.members] : [],
            [room("two"), [nick("a"), nick("b")]]
          )
          yield* bp.execute(b.client, [ok(Command.Whois({ nick: "a" }))])
          const whois = yield* nextReply(node, b.client, "WhoisInfo")
          assert.deepStrictEqual(whois.rooms, [room("one"), room("two")])
          yield* bp.disconnect(a.client, closed)
          const lefts = yield* node.all(tagged("Left"))
          assert.deepStrictEqual(lefts.map((e) => [e.room, e.nick]), [["one", "a"], ["two", "a"]])
        })))

    it.scopedLive("who creates a room with a claim is its operator until it leaves; joining an existing room is not", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const a = yield* enter(bp, "a", null)
          const b = yield* enter(bp, "b", null)
          yield* bp.execute(a.client, [ok(Command.Join({ room: room("Ops"), alone: false, claim: true }))])
          const created = yield* nextReply(node, a.client, "Entered")
          assert.deepStrictEqual([created.members, created.operators], [[nick("a")], [nick("a")]])
          yield* bp.execute(b.client, [
            ok(Command.Join({ room: room("ops"), alone: false, claim: true })),
            ok(Command.Who({ room: room("ops"), full: true })),
            ok(Command.Who({ room: room("ops") })),
            ok(Command.Whois({ nick: "a" })),
            ok(Command.Whois({ nick: "b" }))
          ])
          yield* node.all(replyTo(b.client))
          const replies = node.seen.filter(replyTo(b.client)).flatMap((e) => e.replies)
          const [entered, full, brief, whoisA, whoisB] = replies.slice(-5)
          assert.deepStrictEqual(entered, {
            _tag: "Entered",
            room: room("Ops"),
            members: [nick("a"), nick("b")],
            history: [],
            operators: [nick("a")]
          })
          assert.deepStrictEqual(full?._tag === "WhoList" ? full.operators : [], [nick("a")])
          assert.deepStrictEqual(brief, {
            _tag: "WhoList",
            room: room("Ops"),
            members: [nick("a"), nick("b")],
            operators: [nick("a")]
          })
          assert.deepStrictEqual(whoisA?._tag === "WhoisInfo" ? whoisA.operatorOf : [], [room("Ops")])
          assert.deepStrictEqual(whoisB?._tag === "WhoisInfo" ? [whoisB.nick, whoisB.operatorOf] : [], ["b", undefined])
          // The operator leaves: the room has none, and its next creator is not b by the old claim.
          yield* bp.execute(a.client, [ok(Command.Part({ room: room("ops"), message: undefined }))])
          yield* nextReply(node, a.client, "Parted")
          yield* bp.execute(b.client, [ok(Command.Who({ room: room("ops") }))])
          const after = yield* nextReply(node, b.client, "WhoList")
          assert.deepStrictEqual(after, { _tag: "WhoList", room: room("Ops"), members: [nick("b")] })
          // Emptied and created again, with a claim: the creator is its operator.
          yield* bp.execute(b.client, [
            ok(Command.Part({ room: room("ops"), message: undefined })),
            ok(Command.Join({ room: room("ops"), alone: false, claim: true }))
          ])
          const again = yield* nextReply(node, b.client, "Entered")
          assert.deepStrictEqual([again.room, again.operators], [room("ops"), [nick("b")]])
        })))

    it.scopedLive("an IRC operator is shown by whois and who; a mask finds nicks in any case, sorted", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const cool = yield* enter(bp, "coolNick", "lobby", alInfo)
          yield* enter(bp, "cold", null)
          yield* enter(bp, "other", "lobby")
          const asker = yield* enter(bp, "asker", null)
          yield* bp.execute(cool.client, [ok(Command.Oper()), ok(Command.Away({ message: "brb" }))])
          const up = yield* nextReply(node, cool.client, "OperUp")
          assert.deepStrictEqual(up, { _tag: "OperUp" })
          yield* bp.execute(asker.client, [
            ok(Command.WhoMask({ mask: "CO*" })),
            ok(Command.WhoMask({ mask: "c?ld" })),
            ok(Command.WhoMask({ mask: "nobody*" })),
            ok(Command.Whois({ nick: "coolnick", brief: true })),
            ok(Command.Who({ room: room("lobby"), full: true }))
          ])
          yield* nextReply(node, asker.client, "WhoList")
          const replies = node.seen.filter(replyTo(asker.client)).flatMap((e) => e.replies).slice(-5)
          assert.deepStrictEqual(replies.slice(0, 3), [
            {
              _tag: "WhoMatched",
              mask: "CO*",
              members: [nick("cold"), nick("coolNick")],
              away: [false, true],
              infos: [undefined, alInfo],
              opers: [nick("coolNick")]
            },
            { _tag: "WhoMatched", mask: "c?ld", members: [nick("cold")], away: [false], infos: [undefined] },
            { _tag: "WhoMatched", mask: "nobody*", members: [], away: [], infos: [] }
          ])
          const [whois, who] = replies.slice(3)
          assert.deepStrictEqual(whois?._tag === "WhoisInfo" ? [whois.nick, whois.oper] : [], ["coolNick", true])
          assert.deepStrictEqual(who?._tag === "WhoList" ? who.opers : [], [nick("coolNick")])
        })))

    it.scopedLive("modes: an operator locks the topic (t) and hides the room (s); i hides a client from masks", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const op = yield* enter(bp, "op", null)
          const member = yield* enter(bp, "member", null)
          const outsider = yield* enter(bp, "outsider", null)
          yield* bp.execute(op.client, [
            ok(Command.Join({ room: room("Locked"), alone: false, claim: true })),
            ok(Command.Mode({ room: room("locked"), add: "ts", remove: "" })),
            ok(Command.Mode({ room: room("locked"), add: "t", remove: "" }))
          ])
          yield* node.all(replyTo(op.client))
          const opReplies = node.seen.filter(replyTo(op.client)).flatMap((e) => e.replies).slice(-2)
          assert.deepStrictEqual(opReplies, [
            { _tag: "Modes", room: room("Locked"), modes: "st", added: "st" },
            { _tag: "Modes", room: room("Locked"), modes: "st" }
          ])
          yield* bp.execute(member.client, [
            ok(Command.Join({ room: room("locked"), alone: false, claim: true })),
            ok(Command.Topic({ room: room("locked"), text: "mine" })),
            ok(Command.Mode({ room: room("locked"), add: "", remove: "t" })),
            ok(Command.Mode({ room: room("locked") })),
            ok(Command.Mode({ room: room("nowhere") })),
            ok(Command.Mode({ add: "i" })),
            ok(Command.Mode({}))
          ])
          yield* node.all(replyTo(member.client))
          const replies = node.seen.filter(replyTo(member.client)).flatMap((e) => e.replies).slice(-7)
          const entered = replies[0]
          assert.deepStrictEqual(entered?._tag === "Entered" ? [entered.secret, entered.operators] : [], [
            true,
            [nick("op")]
          ])
          assert.deepStrictEqual(replies.slice(1), [
            { _tag: "NotOperator", room: room("Locked") },
            { _tag: "NotOperator", room: room("Locked") },
            { _tag: "Modes", room: room("Locked"), modes: "st" },
            { _tag: "Failed", error: new NotInRoom({ room: room("nowhere"), missing: true }) },
            { _tag: "Modes", modes: "i", added: "i" },
            { _tag: "Modes", modes: "i" }
          ])
          // Secret: listed to members only. Invisible: found by a mask only by who shares a room.
          yield* bp.execute(outsider.client, [
            ok(Command.ListRooms()),
            ok(Command.WhoMask({ mask: "mem*" })),
            ok(Command.Whois({ nick: "member" })),
            ok(Command.Join({ room: room("locked"), alone: false })),
            ok(Command.ListRooms()),
            ok(Command.WhoMask({ mask: "mem*" })),
            ok(Command.Whois({ nick: "member" }))
          ])
          yield* node.all(replyTo(outsider.client))
          const seen = node.seen.filter(replyTo(outsider.client)).flatMap((e) => e.replies)
            .filter((r) => r._tag === "RoomList" || r._tag === "WhoMatched" || r._tag === "WhoisInfo")
            .map((r) =>
              r._tag === "RoomList"
                ? r.rooms.map((x) => x.room)
                : r._tag === "WhoMatched"
                ? r.members
                : r._tag === "WhoisInfo"
                ? r.rooms
                : []
            )
          assert.deepStrictEqual(seen, [[], [], [], [room("Locked")], [nick("member")], [room("Locked")]])
          // The operator unlocks: a member sets the topic.
          yield* bp.execute(op.client, [ok(Command.Mode({ room: room("locked"), remove: "t" }))])
          yield* node.all(replyTo(op.client))
          const unlocked = node.seen.filter(replyTo(op.client)).flatMap((e) => e.replies).at(-1)
          assert.deepStrictEqual(unlocked, { _tag: "Modes", room: room("Locked"), modes: "s", removed: "t" })
          yield* bp.execute(member.client, [ok(Command.Topic({ room: room("locked"), text: "mine" }))])
          const set = (yield* node.all(tagged("TopicSet"))).at(-1)!
          assert.deepStrictEqual([set.nick, set.topic], ["member", "mine"])
        })))

    it.scopedLive("how to show an answer goes back with it: WHOX fields, one of several NAMES, a LIST filter", () =>
      withChat(50, (bp, node) =>
        Effect.gen(function*() {
          const asker = yield* enter(bp, "asker", "lobby")
          const format = { fields: "nt", token: "7" }
          yield* bp.execute(asker.client, [
            ok(Command.Who({ room: room("lobby"), full: true, format })),
            ok(Command.Who({ room: room("nowhere"), full: true, format })),
            ok(Command.Who({ room: room("lobby"), batch: { query: "#lobby,#nowhere", last: false } })),
            ok(Command.Who({ room: room("nowhere"), batch: { query: "#lobby,#nowhere", last: true } })),
            ok(Command.WhoMask({ mask: "ask*", format })),
            ok(Command.Whois({ nick: "asker", brief: true, format })),
            ok(Command.Whois({ nick: "nobody", brief: true, format })),
            ok(Command.ListFiltered({ filter: "#lob*,>0" })),
            // Asked without: said without.
            ok(Command.Who({ room: room("lobby"), full: true })),
            ok(Command.ListRooms())
          ])
          yield* node.all(replyTo(asker.client))
          const replies = node.seen.filter(replyTo(asker.client)).flatMap((e) => e.replies).slice(-10)
          const shown = replies.map((r) =>
            r._tag === "WhoList"
              ? [r._tag, r.room, r.format, r.batch]
              : r._tag === "WhoMatched" || r._tag === "WhoisInfo"
              ? [r._tag, r.format]
              : r._tag === "RoomList"
              ? [r._tag, r.filter]
              : [r._tag]
          )
          assert.deepStrictEqual(shown, [
            ["WhoList", room("lobby"), format, undefined],
            ["WhoList", room("nowhere"), format, undefined],
            ["WhoList", room("lobby"), undefined, { query: "#lobby,#nowhere", last: false }],
            ["WhoList", room("nowhere"), undefined, { query: "#lobby,#nowhere", last: true }],
            ["WhoMatched", format],
            ["WhoisInfo", format],
            ["WhoisInfo", format],
            ["RoomList", "#lob*,>0"],
            ["WhoList", room("lobby"), undefined, undefined],
            ["RoomList", undefined]
          ])
        })))
  })
}
