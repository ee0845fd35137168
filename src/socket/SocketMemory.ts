/**
 * An in-memory socket layer: the same `SocketServer` and `Socket` interfaces
 * as TCP, with clients that are plain effects. For tests, ours and yours: no
 * network, no Promises, so the `TestClock` drives everything.
 *
 * It keeps the TCP semantics the chat relies on: reads are pulled (a client's
 * `send` waits while the server is not reading), writes wait while the client
 * is not reading (its receive buffer is bounded), end of stream and resets
 * reach the server as they would over TCP.
 */
import * as Socket from "@effect/platform/Socket"
import * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Cause, Context, Deferred, Effect, Layer, Mailbox, Option, Queue, Ref } from "effect"
import * as AcceptLoop from "./internal/acceptLoop.js"

export interface MemoryClient {
  /** Sends text or bytes, as typed: add the `\n` yourself. Waits while the server's read buffer is full. */
  readonly send: (data: string | Uint8Array) => Effect.Effect<void>
  /** Sends one line, `\n` added. */
  readonly sendLine: (line: string) => Effect.Effect<void>
  /** Half-closes: the server reads end of stream, and can still write. */
  readonly end: Effect.Effect<void>
  /** Aborts: the server's read fails as on a TCP reset, and its writes fail. */
  readonly reset: Effect.Effect<void>
  /** The next line from the server, without `\n`; fails once the server has closed and all was read. */
  readonly readLine: Effect.Effect<string, Cause.NoSuchElementException>
  /** Lines up to and including the first that satisfies `predicate`. */
  readonly readUntil: (
    predicate: (line: string) => boolean
  ) => Effect.Effect<ReadonlyArray<string>, Cause.NoSuchElementException>
  /** Everything until the server closes the connection, as lines. */
  readonly readToEnd: Effect.Effect<ReadonlyArray<string>>
  /** Waits, without reading, until the server has closed the connection. */
  readonly closed: Effect.Effect<void>
}

export class SocketMemory extends Context.Tag("chat/SocketMemory")<SocketMemory, {
  /** Opens a connection to the server; the client resets it when the scope closes. */
  readonly connect: Effect.Effect<MemoryClient, never, Scope.Scope>
}>() {}

export interface MemoryOptions {
  /** Chunks the server may hold unread from one client before `send` waits. */
  readonly serverReadBuffer?: number | undefined
  /** Chunks a client may hold unread before the server's writes wait. */
  readonly clientReadBuffer?: number | undefined
}

const encoder = new TextEncoder()
const toBytes = (data: string | Uint8Array): Uint8Array => typeof data === "string" ? encoder.encode(data) : data
const resetError = () => new Socket.SocketGenericError({ reason: "Read", cause: new Error("ECONNRESET") })
const closedError = () => new Socket.SocketGenericError({ reason: "Write", cause: new Error("EPIPE") })

interface Pipe {
  /** Client to server; failing it is a reset. */
  readonly inbound: Mailbox.Mailbox<Uint8Array, Socket.SocketError>
  /** Server to client; ending it is the server's close. */
  readonly outbound: Mailbox.Mailbox<Uint8Array>
  /** Done once the server has closed the connection. */
  readonly closed: Deferred.Deferred<void>
}

const serverSocket = (pipe: Pipe): Socket.Socket => {
  const run = <_, E = never, R = never>(
    handler: (_: Uint8Array) => Effect.Effect<_, E, R> | void,
    options?: { readonly onOpen?: Effect.Effect<void> | undefined }
  ): Effect.Effect<void, Socket.SocketError | E, R> =>
    Effect.gen(function*() {
      if (options?.onOpen !== undefined) yield* options.onOpen
      while (true) {
        // End of stream is the mailbox ending; a reset is its failure, which `run` passes on.
        const next = yield* pipe.inbound.take.pipe(
          Effect.map(Option.some),
          Effect.catchIf(Cause.isNoSuchElementException, () => Effect.succeed(Option.none()))
        )
        if (Option.isNone(next)) return
        const handled = handler(next.value)
        if (Effect.isEffect(handled)) yield* handled
      }
    })

  const write = (chunk: Uint8Array | string | Socket.CloseEvent): Effect.Effect<void, Socket.SocketError> =>
    Socket.isCloseEvent(chunk)
      ? Effect.asVoid(pipe.outbound.end)
      : pipe.outbound.offer(toBytes(chunk)).pipe(
        Effect.flatMap((accepted) => accepted ? Effect.void : Effect.fail(closedError()))
      )

  return {
    [Socket.TypeId]: Socket.TypeId,
    run,
    runRaw: run,
    writer: Effect.acquireRelease(Effect.succeed(write), () => pipe.outbound.end)
  }
}

const makeClient = (pipe: Pipe): Effect.Effect<MemoryClient> =>
  Effect.gen(function*() {
    const decoder = new TextDecoder()
    const pending = yield* Ref.make("")

    const readLine: MemoryClient["readLine"] = Effect.gen(function*() {
      while (true) {
        const buffered = yield* Ref.get(pending)
        const newline = buffered.indexOf("\n")
        if (newline !== -1) {
          yield* Ref.set(pending, buffered.slice(newline + 1))
          return buffered.slice(0, newline)
        }
        const chunk = yield* pipe.outbound.take
        yield* Ref.set(pending, buffered + decoder.decode(chunk, { stream: true }))
      }
    })

    const readUntil = (predicate: (line: string) => boolean) =>
      Effect.gen(function*() {
        const lines: Array<string> = []
        while (true) {
          const line = yield* readLine
          lines.push(line)
          if (predicate(line)) return lines
        }
      })

    const readToEnd = Effect.gen(function*() {
      const lines: Array<string> = []
      while (true) {
        const line = yield* readLine.pipe(Effect.option)
        if (Option.isNone(line)) return lines
        lines.push(line.value)
      }
    })

    const send = (data: string | Uint8Array) => Effect.asVoid(pipe.inbound.offer(toBytes(data)))

    return {
      send,
      sendLine: (line) => send(`${line}\n`),
      end: Effect.asVoid(pipe.inbound.end),
      reset: Effect.zipRight(pipe.inbound.fail(resetError()), pipe.outbound.shutdown),
      readLine,
      readUntil,
      readToEnd,
      closed: Deferred.await(pipe.closed)
    } satisfies MemoryClient
  })

/** The in-memory `SocketServer` together with the `SocketMemory` its clients connect through. */
export const make = (
  options: MemoryOptions = {}
): Effect.Effect<readonly [SocketServer.SocketServer["Type"], SocketMemory["Type"]], never, Scope.Scope> =>
  Effect.gen(function*() {
    const accepted = yield* Queue.unbounded<Pipe>()
    yield* Effect.addFinalizer(() => Queue.shutdown(accepted))

    const connect = Effect.acquireRelease(
      Effect.gen(function*() {
        const pipe: Pipe = {
          inbound: yield* Mailbox.make<Uint8Array, Socket.SocketError>(options.serverReadBuffer ?? 16),
          outbound: yield* Mailbox.make<Uint8Array>(options.clientReadBuffer ?? 64),
          closed: yield* Deferred.make<void>()
        }
        yield* Queue.offer(accepted, pipe)
        return pipe
      }),
      (pipe) => Effect.zipRight(pipe.inbound.fail(resetError()), pipe.outbound.shutdown)
    ).pipe(Effect.flatMap(makeClient))

    const run = AcceptLoop.run({
      accepted,
      socketOf: serverSocket,
      // The server's close: the client reads end of stream; what it still sends is dropped.
      close: (pipe) =>
        Effect.asVoid(
          Effect.all([pipe.outbound.end, pipe.inbound.shutdown, Deferred.succeed(pipe.closed, undefined)])
        )
    })

    const address: SocketServer.Address = { _tag: "UnixAddress", path: "memory" }
    return [SocketServer.SocketServer.of({ address, run }), SocketMemory.of({ connect })] as const
  })

/** Provides `SocketServer` and `SocketMemory`: use it where production uses `SocketTcp.layer`. */
export const layer = (options: MemoryOptions = {}): Layer.Layer<SocketServer.SocketServer | SocketMemory> =>
  Layer.scopedContext(
    make(options).pipe(
      Effect.map(([server, memory]) =>
        Context.make(SocketServer.SocketServer, server).pipe(Context.add(SocketMemory, memory))
      )
    )
  )
