/**
 * The accept loop the socket layers share: each accepted connection is
 * served in its own fiber, in a set the loop owns (ending the loop ends them
 * all), and closed by the layer however its handler ended.
 *
 * A handler may detach its connection (`Detach`): it then returns once the
 * connection is set up, and the connection holds no fiber; its closing runs
 * when it ends, or when the loop stops, and the layer closes the socket
 * after it.
 */
import type * as Socket from "@effect/platform/Socket"
import type * as SocketServer from "@effect/platform/SocketServer"
import { Cause, Effect, FiberSet, Queue } from "effect"
import * as Detach from "../Detach.js"

export interface Accepted<C> {
  readonly accepted: Queue.Dequeue<C>
  readonly socketOf: (connection: C) => Socket.Socket
  /** The layer's close, after the handler: it must not fail or hang. */
  readonly close: (connection: C) => Effect.Effect<void>
}

/** `SocketServer.run` over a queue of accepted connections. */
export const run = <C>(options: Accepted<C>) =>
<R, E, _>(
  handler: (socket: Socket.Socket) => Effect.Effect<_, E, R>
): Effect.Effect<never, SocketServer.SocketServerError, R> =>
  Effect.gen(function*() {
    // Detached connections' closings, each uninterruptible: stopping the loop waits for them.
    const closings = yield* FiberSet.make()
    const runClosing = yield* FiberSet.runtime(closings)()
    // Detached connections still open, by the function that ends each.
    const open = new Set<() => void>()
    // Runs before `closings` is closed (finalizers run in reverse order), after the handlers are.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const end of Array.from(open)) end()
      })
    )
    const fibers = yield* FiberSet.make()

    const serve = (connection: C) => {
      // Built when it runs: an open connection need not hold its closing effect.
      const close = Effect.suspend(() => options.close(connection))
      let detached = false
      const detach = (closing: Effect.Effect<void>): () => void => {
        detached = true
        let ended = false
        const end = (): void => {
          if (ended) return
          ended = true
          open.delete(end)
          runClosing(Effect.uninterruptible(Effect.ensuring(closing, close)))
        }
        open.add(end)
        return end
      }
      return handler(Detach.offer(options.socketOf(connection), { detach })).pipe(
        // A handler's failure is contained to its connection, and logged: never swallowed.
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logWarning("connection handler failed", cause)
        ),
        Effect.ensuring(Effect.suspend(() => detached ? Effect.void : close))
      )
    }

    return yield* Queue.take(options.accepted).pipe(
      Effect.flatMap((connection) => FiberSet.run(fibers, serve(connection))),
      Effect.forever
    )
  }).pipe(Effect.scoped)
