/**
 * An optional capability of a `Socket`: taking what it has read without a
 * fiber waiting on it.
 *
 * Through the platform's `Socket.run` a connection needs a fiber parked on
 * its socket for as long as it lives, however quiet the client: measured,
 * the fibers of idle connections were most of the server's memory per
 * connection (see the README). A socket layer that can say "here is a
 * chunk" or "nothing yet, I will call you" (ours over `node:net`) offers
 * this capability, and the connection then runs a fiber only while there is
 * something to read. For any other socket, `pulled` offers the same over
 * `run`, with the fiber it has always needed.
 *
 * Reads stay pulled either way: nothing is read until the connection asks,
 * so a connection that waits (for flood control) stops the reads and TCP
 * slows the sender.
 */
import * as Socket from "@effect/platform/Socket"
import type { Scope } from "effect"
import { Deferred, Effect, Exit } from "effect"
import * as Capability from "./internal/capability.js"

/** Nothing to read yet: ask `whenReadable` to be told. */
export const wait: unique symbol = Symbol.for("chat/DirectRead/wait")
/** The peer has ended its stream: nothing more will be read. */
export const end: unique symbol = Symbol.for("chat/DirectRead/end")

/** A chunk (bytes; text for a socket that reads text frames), `wait`, `end`, or the socket's failure. */
export type ReadResult = Uint8Array | string | typeof wait | typeof end | Socket.SocketError

export interface DirectRead {
  /** The next chunk the socket holds, taken now; never waits. */
  readonly read: () => ReadResult
  /** Calls `wake` once, as soon as `read` may say something new (a chunk, the end, a failure). */
  readonly whenReadable: (wake: () => void) => void
  /** Fails with the socket's error once it fails (a reset): lets whatever waits meanwhile stop. */
  readonly failed: Effect.Effect<never, Socket.SocketError>
}

const capability = Capability.make<DirectRead>("chat/DirectRead")

/** The socket's direct read, if its layer offers one. */
export const of = capability.of

/** `socket` offering a direct read. */
export const offer = capability.offer

/** Whether a read result is a chunk. */
export const isChunk = (result: ReadResult): result is Uint8Array | string =>
  typeof result === "string" || result instanceof Uint8Array

/**
 * The socket's own direct read, or one over its `run` (`runRaw` with `raw`,
 * which hands text frames over as text) in a fiber of the scope: it holds
 * one chunk at a time and reads the next only once that one is taken.
 */
export const fromSocket = (
  socket: Socket.Socket,
  options: { readonly raw: boolean }
): Effect.Effect<DirectRead, never, Scope.Scope> =>
  Effect.suspend(() => {
    const own = of(socket)
    return own !== undefined ? Effect.succeed(own) : pulled(socket, options.raw)
  })

const pulled = (socket: Socket.Socket, raw: boolean): Effect.Effect<DirectRead, never, Scope.Scope> =>
  Effect.gen(function*() {
    let held: Uint8Array | string | undefined
    let taken: (() => void) | undefined
    let done: typeof end | Socket.SocketError | undefined
    let wake: (() => void) | undefined
    const failure = yield* Deferred.make<never, Socket.SocketError>()
    const notify = (): void => {
      const waiting = wake
      wake = undefined
      waiting?.()
    }
    const hold = (chunk: Uint8Array | string) =>
      Effect.async<void>((resume) => {
        held = chunk
        taken = () => resume(Effect.void)
        notify()
      })
    yield* (raw ? socket.runRaw(hold) : socket.run(hold)).pipe(
      Effect.exit,
      Effect.map((exit) => {
        if (Exit.isSuccess(exit)) {
          done = end
        } else if (exit.cause._tag === "Fail") {
          done = exit.cause.error
          Deferred.unsafeDone(failure, Exit.fail(exit.cause.error))
        } else {
          // Interrupted with the scope, or a defect in the socket layer: nothing more will be read.
          done = new Socket.SocketGenericError({ reason: "Read", cause: exit.cause })
        }
        notify()
      }),
      Effect.forkScoped
    )
    const read = (): ReadResult => {
      if (held !== undefined) {
        const chunk = held
        const next = taken
        held = undefined
        taken = undefined
        next?.()
        return chunk
      }
      return done ?? wait
    }
    return {
      read,
      whenReadable: (waiting) => {
        if (held !== undefined || done !== undefined) waiting()
        else wake = waiting
      },
      failed: Deferred.await(failure)
    }
  })

/** What `make` needs of a socket's errors: the one already seen, and a way to hear the next. */
export interface Errors {
  readonly failure: () => Error | undefined
  readonly once: (listener: (error: Error) => void) => void
  readonly off: (listener: (error: Error) => void) => void
}

const readFailed = (cause: Error) => new Socket.SocketGenericError({ reason: "Read", cause })

/**
 * A direct read for a socket layer over a Node socket's events: `read` takes
 * what the socket holds now, and the layer calls `notify` whenever it may
 * hold something new (data, the end, an error). Also `next`, the effect that
 * waits for the next chunk (undefined at the end), for the layer's `run`.
 */
export const make = <C extends Uint8Array | string>(
  read: () => C | typeof wait | typeof end | Socket.SocketError,
  errors: Errors
): {
  readonly direct: DirectRead
  readonly notify: () => void
  readonly next: Effect.Effect<C | undefined, Socket.SocketError>
} => {
  let wake: (() => void) | undefined
  const notify = (): void => {
    const waiting = wake
    wake = undefined
    waiting?.()
  }
  const failed = Effect.async<never, Socket.SocketError>((resume) => {
    const onError = (error: Error) => resume(Effect.fail(readFailed(error)))
    const seen = errors.failure()
    if (seen !== undefined) return onError(seen)
    errors.once(onError)
    return Effect.sync(() => errors.off(onError))
  })
  const next = Effect.async<C | undefined, Socket.SocketError>((resume) => {
    const attempt = (): void => {
      const result = read()
      if (result === wait) wake = attempt
      else if (result === end) resume(Effect.succeed(undefined))
      else if (Socket.isSocketError(result)) resume(Effect.fail(result))
      else resume(Effect.succeed(result))
    }
    attempt()
    return Effect.sync(() => {
      wake = undefined
    })
  })
  return {
    direct: {
      read,
      whenReadable: (waiting) => {
        wake = waiting
      },
      failed
    },
    notify,
    next
  }
}

/** A socket's failure as the read error `make`'s `read` returns. */
export const failure = readFailed
