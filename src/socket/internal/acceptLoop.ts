/**
 * The accept loop both socket layers share: each accepted connection is
 * served in its own fiber, in a set the loop owns (ending the loop ends them
 * all), and closed by the layer however its handler ended.
 */
import type * as Socket from "@effect/platform/Socket"
import type * as SocketServer from "@effect/platform/SocketServer"
import { Cause, Effect, FiberSet, Queue } from "effect"

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
    const fibers = yield* FiberSet.make()
    return yield* Queue.take(options.accepted).pipe(
      Effect.flatMap((connection) =>
        FiberSet.run(
          fibers,
          handler(options.socketOf(connection)).pipe(
            // A handler's failure is contained to its connection, and logged: never swallowed.
            Effect.catchAllCause((cause) =>
              Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logWarning("connection handler failed", cause)
            ),
            // Built when it runs: an open connection need not hold its closing effect.
            Effect.ensuring(Effect.suspend(() => options.close(connection)))
          )
        )
      ),
      Effect.forever
    )
  }).pipe(Effect.scoped)
