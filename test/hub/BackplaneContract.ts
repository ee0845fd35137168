/**
 * The contract every backplane keeps, as a suite any implementation runs
 * unchanged: `backplaneContract("memory", (history) => Backplane.layerMemory({ history }))`.
 * Each test builds a fresh backplane (a fresh chat) and drives it as a node
 * would: allocate, connect, execute, watch the ordered events.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Context, Effect, Either, Exit, Layer } from "effect"
import { Command } from "../../src/domain/Command.js"
import type { Input } from "../../src/domain/Command.js"
import type { ClientId, Nick, RoomName, UserError } from "../../src/domain/Domain.js"
import { closed, quit, UnknownCommand } from "../../src/domain/Domain.js"
import type { Event, Reply, RoomEvent } from "../../src/domain/Event.js"
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

const watch = (events: Events): Watch => {
  const seen: Array<Event> = []
  const batches: Array<ReadonlyArray<Event>> = []
  let cursor = 0
  const more = events.takeAll.pipe(Effect.map((taken) => {
    for (const batch of taken) {
      batches.push(batch)
      seen.push(...batch)
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

  const enter = (bp: BackplaneShape, as?: string, where?: string | null) =>
    Effect.gen(function*() {
      const client = yield* bp.allocateId
      const given = yield* bp.connect({
        client,
        nick: as === undefined ? undefined : nick(as),
        room: where === null ? undefined : room(where ?? "lobby")
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
}
