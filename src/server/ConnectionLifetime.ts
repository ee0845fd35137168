/**
 * A connection's life as a scope of its own, from its set-up until it ends.
 *
 * Where the socket layer allows it (`Detach`: ours, for TCP, TLS, WebSocket
 * and the in-memory layer), the handler sets the connection up, hands the
 * closing of its scope to the layer and returns: an idle connection holds no
 * fiber at all, and its scope is closed by a short fiber when it ends (or
 * when the server stops). Measured, the fiber that otherwise waits for the
 * end was about 12 KB of an idle connection's 31 KB of heap (its suspended
 * stack and its `FiberRefs`). Over any other socket layer, the handler's
 * fiber waits for the end, as `SocketServer.run` expects.
 */
import type * as Socket from "@effect/platform/Socket"
import { Cause, Effect, Exit, Scope } from "effect"
import * as Detach from "../socket/Detach.js"
import type { Opened } from "./Connection.js"

/** Logged, not swallowed: a connection that failed to open is a bug or an unreachable backplane, told already. */
const logFailure = <E>(cause: Cause.Cause<E>): Effect.Effect<void> =>
  Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logWarning("connection failed", cause)

/**
 * Opens a connection with `open` in a scope of its own (undefined: it was
 * refused, and the scope closes at once) and keeps the scope until the
 * connection ends; never fails.
 */
export const serve = <E, R>(
  socket: Socket.Socket,
  open: Effect.Effect<Opened | undefined, E, R | Scope.Scope>
): Effect.Effect<void, never, Exclude<R, Scope.Scope>> => {
  const detach = Detach.of(socket)
  if (detach === undefined) {
    return open.pipe(
      Effect.flatMap((opened) =>
        opened === undefined ? Effect.void : Effect.async<void>((resume) => opened.whenEnded(() => resume(Effect.void)))
      ),
      Effect.scoped,
      Effect.catchAllCause(logFailure)
    )
  }
  return Effect.gen(function*() {
    const scope = yield* Scope.make()
    const opened = yield* open.pipe(
      Scope.extend(scope),
      Effect.onExit((exit) => Exit.isSuccess(exit) && exit.value !== undefined ? Effect.void : Scope.close(scope, exit))
    )
    if (opened === undefined) return
    opened.whenEnded(detach.detach(Scope.close(scope, Exit.void)))
  }).pipe(Effect.catchAllCause(logFailure))
}
