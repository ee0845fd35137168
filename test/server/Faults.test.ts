/**
 * Hostile clients and faults, on the in-memory layer: whatever one client
 * does (stop reading mid-flood, reset in the middle of a write, vanish in
 * the middle of a line, send garbage or megabyte lines, crowd the server),
 * every other client keeps getting every line in order, and the hub forgets
 * whoever is gone.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Scope, TestClock } from "effect"
import { SocketMemory } from "../../src/index.js"
import * as MemoryChat from "../support/MemoryChat.js"
import { hasControl, isProtocolLine } from "../support/Protocol.js"

type Client = SocketMemory.MemoryClient

const messages = (lines: ReadonlyArray<string>, from: string) => lines.filter((line) => line.startsWith(`<${from}> `))

/** Lines `i` = 1..count, each `prefix i` and some padding so that buffers fill quickly. */
const numbered = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i + 1} ${"=".repeat(40)}`)

/** Sends each line in its own write, as a typing person would. */
const sendAll = (client: Client, lines: ReadonlyArray<string>) =>
  Effect.forEach(lines, (line) => client.sendLine(line), { discard: true })

/** Sends `/who` and returns every line up to its answer: the server has handled all that came before. */
const sync = (client: Client) =>
  client.sendLine("/who").pipe(Effect.zipRight(client.readUntil((line) => line.startsWith("*** in #"))))

describe("a reader that stops reading mid-flood", () => {
  it.scoped("is cut off (too slow); every other client gets every message, in one order", () =>
    Effect.gen(function*() {
      // guest-1 and guest-2 flood; guest-3..5 read everything; guest-6 stops after 100 messages.
      const [a, b, ...readers] = yield* Effect.all(Array.from({ length: 6 }, () => MemoryChat.connect))
      const stopper = readers.pop()!
      yield* sync(a!)
      for (const client of [b!, ...readers]) yield* client.readUntil((line) => line === "*** guest-6 joined #lobby")

      const count = 1000
      const last = (nick: string) => `<${nick}> done`
      const readAll = (client: Client, from: ReadonlyArray<string>) => {
        let seen = 0
        return client.readUntil((line) => from.map(last).includes(line) && ++seen === from.length)
      }
      const seenByReaders = yield* Effect.forEach(readers, (reader) => readAll(reader, ["guest-1", "guest-2"]), {
        concurrency: "unbounded"
      }).pipe(Effect.fork)
      // Each flooder reads what the other sends, or it would be too slow itself.
      const seenByA = yield* readAll(a!, ["guest-2"]).pipe(Effect.fork)
      const seenByB = yield* readAll(b!, ["guest-1"]).pipe(Effect.fork)
      const stopperGot = yield* stopper.readUntil((line) => line.startsWith("<guest-1> a 50 ")).pipe(Effect.fork)

      yield* Effect.all([
        sendAll(a!, [...numbered("a", count), "done"]),
        sendAll(b!, [...numbered("b", count), "done"])
      ], { concurrency: 2 })

      const [first, ...others] = yield* Fiber.join(seenByReaders)
      const left = "*** guest-6 left #lobby (too slow)"
      // Every message of each sender, once, in the order sent; the stopper's leave notice once.
      assert.deepStrictEqual(
        messages(first!, "guest-1"),
        [...numbered("a", count), "done"].map((t) => `<guest-1> ${t}`)
      )
      assert.deepStrictEqual(
        messages(first!, "guest-2"),
        [...numbered("b", count), "done"].map((t) => `<guest-2> ${t}`)
      )
      assert.deepStrictEqual(first!.filter((line) => line.startsWith("*** ")), [left])
      // Every reader saw the very same sequence, and the flooders the same, less their own lines.
      for (const other of others) assert.deepStrictEqual(other, first)
      for (const [flooder, own] of [[seenByA, "guest-1"], [seenByB, "guest-2"]] as const) {
        const seen = yield* Fiber.join(flooder)
        assert.deepStrictEqual(seen, first!.filter((line) => !line.startsWith(`<${own}> `)).slice(0, seen.length))
      }

      // What the stopper got before it was cut off is the start of that sequence, without a gap.
      const rest = yield* stopper.readToEnd
      const got = [...yield* Fiber.join(stopperGot), ...rest].filter((line) => line.startsWith("<"))
      assert.isBelow(got.length, 2 * count)
      assert.deepStrictEqual(got, first!.filter((line) => line.startsWith("<")).slice(0, got.length))

      const state = yield* MemoryChat.snapshot
      assert.strictEqual(state.clients, 5)
      assert.deepStrictEqual(state.rooms.map((room) => [room.name, ...room.members].map(String)), [
        ["lobby", "guest-1", "guest-2", "guest-3", "guest-4", "guest-5"]
      ])
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, maxQueue: 50 }, { clientReadBuffer: 2 }))), 30_000)
})

describe("resets", () => {
  it.scoped("in the middle of the server's write: the room hears (connection closed) once, the flood goes on", () =>
    Effect.gen(function*() {
      const sender = yield* MemoryChat.connect
      const victim = yield* MemoryChat.connect
      const reader = yield* MemoryChat.connect
      yield* sender.readUntil((line) => line === "*** guest-3 joined #lobby")
      yield* victim.readLine

      // The victim reads nothing: its one-chunk buffer fills and the server's write to it waits.
      const lines = numbered("m", 300)
      const seen = yield* reader.readUntil((line) => line === "<guest-1> end").pipe(Effect.fork)
      yield* sendAll(sender, lines.slice(0, 100))
      yield* victim.reset
      yield* sendAll(sender, [...lines.slice(100), "end"])

      const got = yield* Fiber.join(seen)
      assert.deepStrictEqual(messages(got, "guest-1"), [...lines, "end"].map((t) => `<guest-1> ${t}`))
      assert.deepStrictEqual(got.filter((line) => line.startsWith("***")), [
        "*** guest-2 left #lobby (connection closed)"
      ])
      assert.deepStrictEqual(yield* sender.readLine, "*** guest-2 left #lobby (connection closed)")
      assert.strictEqual((yield* MemoryChat.snapshot).clients, 2)
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, maxQueue: 100_000 }, { clientReadBuffer: 1 }))))

  it.scoped("in the middle of the client's own line: nobody sees the half line", () =>
    Effect.gen(function*() {
      const vanishing = yield* MemoryChat.connect
      const reader = yield* MemoryChat.connect
      yield* vanishing.readLine
      yield* vanishing.send("complete line\nhalf a li")
      yield* vanishing.reset
      assert.strictEqual(yield* reader.readLine, "<guest-1> complete line")
      assert.strictEqual(yield* reader.readLine, "*** guest-1 left #lobby (connection closed)")
      const after = yield* sync(reader)
      assert.deepStrictEqual(after, ["*** in #lobby: guest-2"])
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0 }))))

  // This test found that the in-memory layer read a reset as an end of stream, so
  // that these lines were still relayed after the client had gone (fixed since).
  it.scoped("while its lines wait for flood control: they are dropped, never relayed after its leave notice", () =>
    Effect.gen(function*() {
      const flooder = yield* MemoryChat.connect
      const reader = yield* MemoryChat.connect
      yield* flooder.readLine
      yield* flooder.send(numbered("f", 20).map((line) => `${line}\n`).join(""))
      // The burst of 5 is relayed at once; the rest waits for tokens, 200 ms apart.
      const burst = yield* reader.readUntil((line) => line.startsWith("<guest-1> f 5 "))
      yield* TestClock.adjust("400 millis")
      yield* flooder.reset
      yield* TestClock.adjust("10 seconds")
      const rest = yield* reader.readUntil((line) => line.includes(" left #lobby"))
      const relayed = messages([...burst, ...rest], "guest-1")
      assert.deepStrictEqual(relayed, numbered("f", relayed.length).map((t) => `<guest-1> ${t}`))
      assert.isAtLeast(relayed.length, 5)
      assert.isBelow(relayed.length, 20)
      assert.strictEqual(rest.at(-1), "*** guest-1 left #lobby (connection closed)")
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(yield* sync(reader), ["*** in #lobby: guest-2"])
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 5, burst: 5 }))))
})

describe("a client that sends half a line and vanishes", () => {
  it.scoped("with an end of stream: the half line is dropped, the room hears (connection closed)", () =>
    Effect.gen(function*() {
      const vanishing = yield* MemoryChat.connect
      const reader = yield* MemoryChat.connect
      yield* vanishing.readLine
      yield* vanishing.send("half a line, no newline")
      yield* vanishing.end
      assert.deepStrictEqual(yield* vanishing.readToEnd, [])
      assert.strictEqual(yield* reader.readLine, "*** guest-1 left #lobby (connection closed)")
      assert.deepStrictEqual(yield* sync(reader), ["*** in #lobby: guest-2"])
      assert.strictEqual((yield* MemoryChat.snapshot).nicks, 1)
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0 }))))

  it.scoped("and never sends the rest: the idle timeout still ends it", () =>
    Effect.gen(function*() {
      const stuck = yield* MemoryChat.connect
      const reader = yield* MemoryChat.connect
      yield* stuck.readLine
      yield* stuck.send("no end in sight")
      // A partial line is not a line: the client is idle all the same.
      yield* TestClock.adjust("59 seconds")
      yield* reader.sendLine("/who")
      assert.strictEqual(yield* reader.readLine, "*** in #lobby: guest-1, guest-2")
      yield* stuck.send(", still no newline")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* stuck.readLine, "*** disconnected: idle for 1m")
      assert.deepStrictEqual(yield* stuck.readToEnd, [])
      assert.strictEqual(yield* reader.readLine, "*** guest-1 left #lobby (idle)")
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, idleTimeout: "1m" }))))
})

/** A small deterministic generator, so the garbage is the same on every run. */
const garbage = (size: number, seed: number): Uint8Array => {
  let x = seed
  return Uint8Array.from({ length: size }, () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    // Bytes of every kind, with NUL, ESC, `\r` and `\n` frequent.
    const r = x >> 8
    return r % 7 === 0 ? [0x00, 0x1b, 0x0d, 0x0a, 0x9b][r % 5]! : r & 0xff
  })
}

describe("garbage, NUL bytes and megabyte lines", () => {
  it.scoped(
    "reach nobody as control characters; the sender gets one error per long line and stays",
    () =>
      Effect.gen(function*() {
        const sender = yield* MemoryChat.connect
        const reader = yield* MemoryChat.connect
        yield* sender.readLine

        const noise = garbage(256 * 1024, 42)
        const megabyte = new Uint8Array(1024 * 1024).fill(0x41)
        const seen = yield* reader.readUntil((line) => line === "<guest-1> still here").pipe(Effect.fork)
        yield* sender.send(noise)
        yield* sender.send("\n\u0000\u0000\u0000\n")
        // A megabyte line, in reads of 64 KB, twice: one with `\n`, one with `\r\n`.
        for (const end of ["\n", "\r\n"]) {
          for (let at = 0; at < megabyte.length; at += 65_536) yield* sender.send(megabyte.subarray(at, at + 65_536))
          yield* sender.send(end)
        }
        yield* sender.sendLine("still here")

        const got = yield* Fiber.join(seen)
        assert.isAbove(got.length, 1000)
        for (const line of got) {
          assert.isTrue(isProtocolLine(line), JSON.stringify(line))
          assert.isFalse(hasControl(line), JSON.stringify(line))
        }
        // Lines over 4096 bytes, counted in the raw bytes as PROTOCOL.md counts them (the
        // noise's unterminated tail is ended by the next \n), and the two megabyte lines.
        const raw = Buffer.from(noise).toString("latin1").split("\n")
        const long = raw.filter((line) => line.replace(/\r$/, "").length > 4096).length + 2
        const toSender = yield* sync(sender)
        assert.strictEqual(toSender.filter((line) => line === "! line too long (max 4096 bytes)").length, long)
        assert.strictEqual(toSender.at(-1), "*** in #lobby: guest-1, guest-2")
      }).pipe(
        // No flood control, and a queue that holds the whole burst: the noise is
        // some 7,000 lines read at once, more than the default `--max-queue`.
        Effect.provide(MemoryChat.layer({ rate: 0, maxQueue: 100_000 }))
      ),
    30_000
  )
})

describe("connections opened to the limit and more", () => {
  it.scoped("the one too many gets `! server full` and is closed; a freed slot is taken again", () =>
    Effect.gen(function*() {
      const { connect } = yield* SocketMemory.SocketMemory
      const max = 20
      const admitted = yield* Effect.all(Array.from({ length: max }, () => MemoryChat.connect))
      // One more, then ten more at once.
      const refused = yield* Effect.all(Array.from({ length: 11 }, () => connect))
      for (const client of refused) assert.deepStrictEqual(yield* client.readToEnd, ["! server full"])
      const state = yield* MemoryChat.snapshot
      assert.strictEqual(state.clients, max)
      assert.strictEqual(state.rooms[0]!.members.length, max)

      // The first client is unharmed: it heard every join, and no refused client.
      const first = admitted[0]!
      const joins = yield* first.readUntil((line) => line === `*** guest-${max} joined #lobby`)
      assert.strictEqual(joins.length, max - 1)
      yield* admitted[4]!.sendLine("/quit")
      assert.strictEqual(yield* first.readLine, "*** guest-5 left #lobby (quit)")
      const again = yield* MemoryChat.connect
      assert.strictEqual(again.welcome[0], `*** welcome to chat, you are guest-5 in #lobby (${max} here)`)
      assert.deepStrictEqual(yield* (yield* connect).readToEnd, ["! server full"])
    }).pipe(Effect.provide(MemoryChat.layer({ rate: 0, maxClients: 20 }))))
})

describe("shutdown while a flood is in progress, with a stalled client", () => {
  it.scoped("tells everyone who reads, closes every connection, and finishes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        MemoryChat.layer({ rate: 0, maxQueue: 100_000 }, { clientReadBuffer: 1 }),
        scope
      )
      const [flooder, stalled, reader] = yield* Effect.all([MemoryChat.connect, MemoryChat.connect, MemoryChat.connect])
        .pipe(Effect.provide(context))
      yield* flooder.readUntil((line) => line === "*** guest-3 joined #lobby")
      yield* stalled.readLine

      // The flooder sends until its connection is closed.
      const flood = Effect.iterate(1, {
        while: () => true,
        body: (i) => flooder.sendLine(`flood ${i}`).pipe(Effect.as(i + 1))
      })
      const flooding = yield* Effect.race(flood, flooder.readToEnd).pipe(Effect.fork)
      const before = yield* reader.readUntil((line) => line === "<guest-1> flood 500")
      const closing = yield* Scope.close(scope, Exit.void).pipe(Effect.fork)
      const after = yield* reader.readUntil((line) => line === "*** server shutting down")
      // The stalled client never takes the notice: shutdown waits its grace, then closes it anyway.
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(closing)

      assert.deepStrictEqual(yield* reader.readToEnd, [])
      const got = [...before, ...after]
      assert.deepStrictEqual(got.filter((line) => line.startsWith("***")), ["*** server shutting down"])
      const relayed = got.filter((line) => line.startsWith("<"))
      assert.deepStrictEqual(relayed, relayed.map((_, i) => `<guest-1> flood ${i + 1}`))
      assert.deepStrictEqual(yield* Fiber.join(flooding), ["*** server shutting down"])
      const stalledGot = yield* stalled.readToEnd
      assert.isTrue(
        stalledGot.every((line) => line.startsWith("<guest-1> flood ") || line === "*** server shutting down")
      )
    }), 30_000)
})
