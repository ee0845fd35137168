/**
 * The Node TCP socket layer: `@effect/platform`'s `SocketServer` and `Socket`
 * interfaces over `node:net`, and the only module that touches `node:net`.
 *
 * Written here instead of using `@effect/platform-node`'s because a chat
 * server needs two things that one lacks:
 * - Reads are pulled. `run` reads the next chunk only after the handler's
 *   effect for the previous one is done, so a handler that waits (a full
 *   inbox, flood control) stops the reads and TCP slows the sender. Node
 *   buffers at most its high-water mark meanwhile.
 * - Closing never hangs. A finished connection is ended gracefully (its
 *   last lines flushed, the peer's remaining input drained) but destroyed
 *   after `linger` whatever the peer does, so a client that stopped reading
 *   cannot hold up shutdown.
 *
 * Half-open connections are allowed: after the peer's end of stream the
 * server can still write its replies before closing.
 *
 * The TLS layer (`SocketTls`) is this same plumbing over a `tls.Server`
 * (`serveOn`, `fromNetSocket`): a TLS socket is a `net.Socket`.
 */
import * as Socket from "@effect/platform/Socket"
import * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Duration, Effect, Layer, Queue } from "effect"
import * as Net from "node:net"
import * as DirectRead from "./DirectRead.js"
import * as DirectWrite from "./DirectWrite.js"
import * as AcceptLoop from "./internal/acceptLoop.js"
import * as Listen from "./internal/listen.js"
import * as RemoteAddress from "./RemoteAddress.js"

export interface ServerOptions {
  readonly host: string
  /** 0 takes a free port; `SocketServer.address` tells which. */
  readonly port: number
  /** How long a closing connection waits for the peer to close before it is destroyed. */
  readonly linger?: Duration.DurationInput | undefined
}

/** Accepted connections waiting for `run`; past this they are refused. */
const acceptBacklog = 1024
const defaultLinger = Duration.seconds(1)

// ---------------------------------------------------------------------------
// One connection

/**
 * Writes gathered per connection and handed to Node together: one system
 * call where each event would otherwise cost one.
 *
 * - Everything written to a connection in one turn of the event loop goes
 *   at its end, in one write.
 * - Notices about other people (joins, leaves, renames) may wait up to
 *   `noticeDelay` for company. Node accepts one connection per turn, so
 *   without this each of N arriving clients costs every member a write of
 *   its own: N² system calls when a crowd reconnects after a restart.
 *   Anything else written meanwhile takes the waiting notices with it, in
 *   order.
 *
 * Shared by a server's connections: one `setImmediate` per turn and one
 * timer per delay for all of them. What waits is bounded: past `flushAt`
 * characters a connection's text goes at once.
 */
export interface Batching {
  readonly flushAt: number
  readonly atEndOfTurn: (flush: () => void) => void
  readonly afterNoticeDelay: (flush: () => void) => void
}

/** Batching for one server's connections. */
export const makeBatching = (
  options: { readonly flushAt?: number; readonly noticeDelayMillis?: number } = {}
): Batching => {
  const flushAll = (due: Array<() => void>): void => {
    for (const flush of due.splice(0)) flush()
  }
  const endOfTurn: Array<() => void> = []
  const afterDelay: Array<() => void> = []
  const noticeDelay = options.noticeDelayMillis ?? 50
  return {
    flushAt: options.flushAt ?? 16 * 1024,
    atEndOfTurn: (flush) => {
      if (endOfTurn.push(flush) === 1) setImmediate(flushAll, endOfTurn)
    },
    afterNoticeDelay: (flush) => {
      if (afterDelay.push(flush) === 1) setTimeout(flushAll, noticeDelay, afterDelay)
    }
  }
}

/**
 * Adapts a connected `net.Socket`; with `batching`, text written to it waits
 * for the end of the turn. Listeners are attached at once, so no error goes
 * unhandled.
 */
export const fromNetSocket = (conn: Net.Socket, batching?: Batching): Socket.Socket => {
  let failure: Error | undefined
  let ended = false
  /** The next chunk Node has buffered, taken now. */
  const read = (): Uint8Array | typeof DirectRead.wait | typeof DirectRead.end | Socket.SocketError => {
    if (failure !== undefined) return DirectRead.failure(failure)
    const chunk: unknown = conn.read()
    if (chunk instanceof Uint8Array) return chunk
    return ended || conn.readableEnded || conn.destroyed ? DirectRead.end : DirectRead.wait
  }
  const reads = DirectRead.make(read, {
    failure: () => failure,
    once: (listener) => conn.once("error", listener),
    off: (listener) => conn.off("error", listener)
  })
  const notify = reads.notify
  const nextChunk = reads.next
  conn.on("readable", notify)
  conn.on("end", () => {
    ended = true
    notify()
  })
  conn.on("close", () => {
    ended = true
    notify()
  })
  conn.on("error", (error) => {
    failure = error
    notify()
  })

  const run = <_, E = never, R = never>(
    handler: (_: Uint8Array) => Effect.Effect<_, E, R> | void,
    options?: { readonly onOpen?: Effect.Effect<void> | undefined }
  ): Effect.Effect<void, Socket.SocketError | E, R> =>
    Effect.gen(function*() {
      if (options?.onOpen !== undefined) yield* options.onOpen
      while (true) {
        const chunk = yield* nextChunk
        if (chunk === undefined) return
        const handled = handler(chunk)
        if (Effect.isEffect(handled)) yield* handled
      }
    })

  const writeFailed = (cause: unknown) => new Socket.SocketGenericError({ reason: "Write", cause })

  /**
   * Waits until Node's write buffer has drained below its high-water mark.
   * The wait may start after the drain already happened (the outbox wakes
   * the writer for it later): then there is nothing to wait for.
   */
  const drained = Effect.async<void, Socket.SocketError>((resume) => {
    if (conn.destroyed) return resume(Effect.fail(writeFailed(failure ?? new Error("socket closed"))))
    if (!conn.writableNeedDrain) return resume(Effect.void)
    const onDrain = () => {
      conn.off("close", onClose)
      resume(Effect.void)
    }
    const onClose = () => {
      conn.off("drain", onDrain)
      resume(Effect.fail(writeFailed(failure ?? new Error("socket closed"))))
    }
    conn.once("drain", onDrain)
    conn.once("close", onClose)
    return Effect.sync(() => {
      conn.off("drain", onDrain)
      conn.off("close", onClose)
    })
  })

  // Text waiting for the end of this turn of the event loop, or for the notice delay (see `Batching`).
  let pending = ""
  let flushDue: "endOfTurn" | "afterDelay" | undefined
  /** Hands the pending text to Node; false when Node's buffer is past its high-water mark. */
  const flush = (): boolean => {
    flushDue = undefined
    if (pending === "") return !conn.writableNeedDrain
    const text = pending
    pending = ""
    return conn.destroyed || conn.writableEnded ? false : conn.write(text)
  }
  const end = (): void => {
    flush()
    conn.end()
  }

  /**
   * Node takes the chunk: at once, or with `batching` at the end of the
   * turn together with everything else written to this connection in it.
   * "full" when Node's buffer is past its high-water mark, so the writer
   * waits; what was written before then counts, never what is merely
   * waiting for the turn to end.
   */
  const writeNow = (chunk: Uint8Array | string, canWait = false): "ok" | "full" | "closed" => {
    if (pending !== "" && typeof chunk === "string" && batching !== undefined) {
      // The hot path (a crowd's notices): text already waits, so the socket was
      // open and not full when it began to, and nothing has been written since.
      pending += chunk
      if (pending.length >= batching.flushAt) return flush() ? "ok" : "full"
      if (!canWait && flushDue !== "endOfTurn") {
        flushDue = "endOfTurn"
        batching.atEndOfTurn(flush)
      }
      return "ok"
    }
    if (conn.destroyed || conn.writableEnded) return "closed"
    if (batching === undefined || typeof chunk !== "string") {
      if (pending !== "") flush()
      return conn.write(chunk) ? "ok" : "full"
    }
    const full = conn.writableNeedDrain
    pending += chunk
    if (pending.length >= batching.flushAt) return flush() && !full ? "ok" : "full"
    if (!canWait && flushDue !== "endOfTurn") {
      flushDue = "endOfTurn"
      batching.atEndOfTurn(flush)
    } else if (flushDue === undefined) {
      flushDue = "afterDelay"
      batching.afterNoticeDelay(flush)
    }
    return full ? "full" : "ok"
  }

  /**
   * Completes as soon as Node has taken the chunk, without a round trip
   * through the write callback, and waits only when Node's buffer is past
   * its high-water mark: backpressure, at the cost of one flag check.
   */
  const write = (chunk: Uint8Array | string | Socket.CloseEvent): Effect.Effect<void, Socket.SocketError> =>
    Effect.suspend(() => {
      if (Socket.isCloseEvent(chunk)) {
        end()
        return Effect.void
      }
      switch (writeNow(chunk)) {
        case "ok":
          return Effect.void
        case "full":
          return drained
        case "closed":
          return Effect.fail(writeFailed(failure ?? new Error("socket closed")))
      }
    })

  const socket: Socket.Socket = {
    [Socket.TypeId]: Socket.TypeId,
    run,
    runRaw: run,
    writer: Effect.acquireRelease(Effect.succeed(write), () => Effect.sync(end))
  }
  const direct = DirectRead.offer(DirectWrite.offer(socket, { write: writeNow, drained }), reads.direct)
  return RemoteAddress.offer(direct, conn.remoteAddress)
}

/** How long a closing connection may take to hand its last bytes on, even when its close is cut short. */
const flushBound = 250

/**
 * Waits, at most `flushBound` ms and not interruptibly, until everything
 * written has left Node: until then destroying the socket would lose it.
 * Over TCP that is at once unless the peer has stopped reading; a TLS
 * socket encrypts and sends its last lines (and its close_notify) a few
 * turns of the event loop after `end`.
 */
const flushed = (conn: Net.Socket): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (conn.destroyed || conn.writableFinished) return resume(Effect.void)
    const done = (): void => {
      clearTimeout(timer)
      conn.off("finish", done)
      conn.off("close", done)
      resume(Effect.void)
    }
    const timer = setTimeout(done, flushBound)
    conn.once("finish", done)
    conn.once("close", done)
  })

/**
 * Ends the connection gracefully and destroys it after `linger` at the
 * latest. Input that still arrives is discarded, so the peer is not reset
 * (which could cost it the last lines) just for having sent more.
 */
const close = (conn: Net.Socket, linger: Duration.DurationInput): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (conn.destroyed) return resume(Effect.void)
    conn.once("close", () => resume(Effect.void))
    conn.end()
    conn.resume()
  }).pipe(
    // This runs as a finalizer, which is uninterruptible: without this the
    // timeout could not cut the wait short, and a silent peer would hang it.
    Effect.interruptible,
    Effect.timeoutOption(linger),
    // Cut short (shutdown interrupts every connection), the last lines must still go.
    Effect.ensuring(Effect.zipRight(flushed(conn), Effect.sync(() => conn.destroy())))
  )

// ---------------------------------------------------------------------------
// The server

/**
 * How `serveOn` takes its connections from a server: `connection` for
 * plain TCP; `secureConnection` for TLS, so that a connection is served
 * (and counted against any limit) only once its handshake is done.
 */
export type AcceptOn = "connection" | "secureConnection"

/**
 * @internal A `SocketServer` over a `net.Server` (or a `tls.Server`, which
 * is one) not yet listening: it listens for the life of the scope, and
 * closing the scope destroys every connection it still has, including
 * those still in their TLS handshake.
 */
export const serveOn = (
  server: Net.Server,
  options: ServerOptions & { readonly acceptOn: AcceptOn }
): Effect.Effect<SocketServer.SocketServer["Type"], SocketServer.SocketServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const linger = options.linger ?? defaultLinger
    const accepted = yield* Queue.dropping<Net.Socket>(acceptBacklog)
    const open = new Set<Net.Socket>()
    const track = (conn: Net.Socket): void => {
      open.add(conn)
      conn.once("close", () => open.delete(conn))
    }
    // Every raw connection, handshake or not, so that shutdown can destroy it.
    server.on("connection", (conn: Net.Socket) => {
      track(conn)
      // Errors before a handler starts must not crash the process.
      conn.on("error", () => conn.destroy())
    })
    server.on(options.acceptOn, (conn: Net.Socket) => {
      if (options.acceptOn !== "connection") {
        track(conn)
        conn.on("error", () => conn.destroy())
      }
      if (!accepted.unsafeOffer(conn)) conn.destroy()
    })

    const address = yield* Listen.listen(server, options, () => {
      for (const conn of open) conn.destroy()
    })

    const batching = makeBatching()
    const run = AcceptLoop.run({
      accepted,
      socketOf: (conn) => fromNetSocket(conn, batching),
      close: (conn) => close(conn, linger)
    })

    return SocketServer.SocketServer.of({ address, run })
  })

/** A TCP `SocketServer` listening for the life of the scope. */
export const make = (
  options: ServerOptions
): Effect.Effect<SocketServer.SocketServer["Type"], SocketServer.SocketServerError, Scope.Scope> =>
  Effect.suspend(() =>
    serveOn(Net.createServer({ allowHalfOpen: true, noDelay: true }), { ...options, acceptOn: "connection" })
  )

/** The TCP server as a layer: listening once built, closed with its scope. */
export const layer = (options: ServerOptions): Layer.Layer<SocketServer.SocketServer, SocketServer.SocketServerError> =>
  Layer.scoped(SocketServer.SocketServer, make(options))

// ---------------------------------------------------------------------------
// The client side, for `chat connect`

export interface ConnectOptions {
  readonly host: string
  readonly port: number
}

/** Connects now (not lazily, unlike the platform's), for the life of the scope. */
export const connect = (options: ConnectOptions): Effect.Effect<Socket.Socket, Socket.SocketError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Net.Socket, Socket.SocketError>((resume) => {
      const conn = Net.createConnection({ host: options.host, port: options.port, allowHalfOpen: true, noDelay: true })
      const onError = (cause: Error) => {
        conn.destroy()
        resume(Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause })))
      }
      conn.once("error", onError)
      conn.once("connect", () => {
        conn.off("error", onError)
        resume(Effect.succeed(conn))
      })
    }),
    (conn) => Effect.sync(() => conn.destroy())
  ).pipe(Effect.map((conn) => fromNetSocket(conn)))
