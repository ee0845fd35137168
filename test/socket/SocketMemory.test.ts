/**
 * The in-memory socket layer keeps the TCP semantics the chat relies on: a
 * server reads what a client sends, in order; end of stream, a reset and the
 * server's close reach the other side as over TCP; and a client's `send`
 * waits while the server is not reading.
 */
import * as Socket from "@effect/platform/Socket"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Either, Exit, Fiber, Option, Queue } from "effect"
import * as SocketMemory from "../../src/socket/SocketMemory.js"

/** Lets forked fibers run until they wait. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

const decoder = new TextDecoder()

/**
 * A server that answers each chunk with `echo: CHUNK\n` and reports how each
 * connection's reading ended: `end` (end of stream) or `reset` (a failed read).
 */
const echoServer = (options: SocketMemory.MemoryOptions = {}) =>
  Effect.gen(function*() {
    const [server, memory] = yield* SocketMemory.make(options)
    const ended = yield* Queue.unbounded<"end" | "reset">()
    yield* server.run((socket) =>
      Effect.gen(function*() {
        const write = yield* socket.writer
        const read = yield* socket.run((chunk) => write(`echo: ${decoder.decode(chunk)}\n`)).pipe(Effect.either)
        yield* Queue.offer(ended, Either.isLeft(read) ? "reset" : "end")
      }).pipe(Effect.scoped)
    ).pipe(Effect.forkScoped)
    return { memory, ended }
  })

describe("SocketMemory", () => {
  it.scoped("carries what the client sends to the server and back, in order", () =>
    Effect.gen(function*() {
      const { memory } = yield* echoServer()
      const client = yield* memory.connect
      yield* client.send("one")
      assert.strictEqual(yield* client.readLine, "echo: one")
      yield* client.sendLine("two")
      assert.strictEqual(yield* client.readLine, "echo: two")
      assert.strictEqual(yield* client.readLine, "")
    }))

  it.scoped("end of stream: the server's reading ends, and closing the connection reaches the client", () =>
    Effect.gen(function*() {
      const { ended, memory } = yield* echoServer()
      const client = yield* memory.connect
      yield* client.send("last")
      yield* client.end
      assert.strictEqual(yield* Queue.take(ended), "end")
      // The server wrote before the end, then its handler ended: the client reads all of it, then the close.
      assert.deepStrictEqual(yield* client.readToEnd, ["echo: last"])
      yield* client.closed
    }))

  it.scoped("a reset fails the server's read, as ECONNRESET does", () =>
    Effect.gen(function*() {
      const { ended, memory } = yield* echoServer()
      const client = yield* memory.connect
      yield* client.reset
      assert.strictEqual(yield* Queue.take(ended), "reset")
    }))

  it.scoped("a send waits while the server is not reading and its read buffer is full", () =>
    Effect.gen(function*() {
      const [server, memory] = yield* SocketMemory.make({ serverReadBuffer: 1 })
      const reading = yield* Deferred.make<void>()
      const got = yield* Queue.unbounded<string>()
      yield* server.run((socket) =>
        Deferred.await(reading).pipe(
          Effect.zipRight(socket.run((chunk) => Queue.offer(got, decoder.decode(chunk)))),
          Effect.orDie
        )
      ).pipe(Effect.forkScoped)
      const client = yield* memory.connect
      yield* client.send("a")
      const second = yield* Effect.fork(client.send("b"))
      yield* settle
      assert.isNull(second.unsafePoll(), "the second send waits")
      yield* Deferred.succeed(reading, undefined)
      yield* Fiber.join(second)
      assert.deepStrictEqual([yield* Queue.take(got), yield* Queue.take(got)], ["a", "b"])
    }))

  it.scoped("a write after the client has gone fails, as EPIPE does", () =>
    Effect.gen(function*() {
      const [server, memory] = yield* SocketMemory.make()
      const written = yield* Deferred.make<Exit.Exit<void, Socket.SocketError>>()
      const gone = yield* Deferred.make<void>()
      yield* server.run((socket) =>
        Effect.gen(function*() {
          const write = yield* socket.writer
          yield* Deferred.await(gone)
          yield* Deferred.succeed(written, yield* Effect.exit(write("too late\n")))
        }).pipe(Effect.scoped)
      ).pipe(Effect.forkScoped)
      const client = yield* memory.connect
      yield* client.reset
      yield* Deferred.succeed(gone, undefined)
      const exit = yield* Deferred.await(written)
      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      assert.isTrue(Option.isSome(failure) && Socket.isSocketError(failure.value), String(exit))
    }))
})
