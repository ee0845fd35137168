/**
 * One client's life, as a scoped resource over any `Socket`.
 *
 * Three fibers, all in the connection's scope:
 * - the reader pulls bytes, frames lines, waits for flood control, and hands
 *   each command to the hub;
 * - the pump moves the client's event stream into its outbox, a bounded
 *   queue: a client whose backlog passes `maxQueue` is cut off `(too slow)`,
 *   and the hub never waits for it;
 * - the writer drains everything ready in the outbox into one write.
 *
 * Whatever ends the connection first (end of stream, `/quit`, idle, too slow,
 * shutdown, a socket error) decides its `DisconnectReason`; closing the scope
 * then removes the client from the hub, which tells its room exactly once.
 */
import type * as Socket from "@effect/platform/Socket"
import { Cause, Deferred, Effect, Either, Mailbox, Queue, Ref, Stream } from "effect"
import * as Command from "./Command.js"
import type { DisconnectReason } from "./Domain.js"
import { LineTooLong } from "./Domain.js"
import type { Output } from "./Event.js"
import { isClose } from "./Event.js"
import * as FloodControl from "./FloodControl.js"
import * as Frame from "./Frame.js"
import { Hub } from "./Hub.js"
import * as Reply from "./Reply.js"
import { ServerConfig } from "./ServerConfig.js"

/**
 * Chunks read ahead of the line handler. One is enough to keep the socket
 * busy; more would only buffer what flood control is trying to slow down.
 */
const readAhead = 1

class IdleTimeoutReached {
  readonly _tag = "IdleTimeoutReached"
}

const closed: DisconnectReason = { _tag: "Closed" }
const tooSlow: DisconnectReason = { _tag: "TooSlow" }
const idle: DisconnectReason = { _tag: "Idle" }

/** Serves one client until it goes; never fails. */
export const handle = (socket: Socket.Socket): Effect.Effect<void, never, Hub | ServerConfig> =>
  Effect.gen(function*() {
    const config = yield* ServerConfig
    const hub = yield* Hub
    const ending = yield* Deferred.make<DisconnectReason>()
    // The first reason wins; later ones are no-ops.
    const finish = (reason: DisconnectReason) => Deferred.succeed(ending, reason)

    // Reading: the socket is not read again until the inbox has room.
    const inbox = yield* Mailbox.make<Uint8Array, Socket.SocketError>(readAhead)
    yield* socket.run((chunk) => inbox.offer(chunk)).pipe(
      // A reset or socket error: the client is gone, and so are the lines it
      // sent that flood control is still holding back. End of stream is
      // different: the lines before it are still processed, then it closes.
      Effect.tapError(() => finish(closed)),
      Mailbox.into(inbox),
      Effect.forkScoped
    )

    const session = yield* hub.connect(ending)
    yield* Effect.annotateLogsScoped({ client: session.id })
    yield* Effect.logDebug("connected")

    // Pump: the hub's events for this client into its bounded outbox.
    const outbox = yield* Queue.dropping<Output>(config.maxQueue)
    yield* session.output.pipe(
      Stream.takeUntil(isClose),
      Stream.runForEachChunk((outputs) =>
        Queue.offerAll(outbox, outputs).pipe(
          Effect.flatMap((queued) => queued ? Effect.void : finish(tooSlow))
        )
      ),
      Effect.forkScoped
    )

    // Writer: everything ready goes out in one write.
    const write = yield* socket.writer
    yield* Effect.gen(function*() {
      while (true) {
        const batch = yield* Queue.takeBetween(outbox, 1, Number.POSITIVE_INFINITY)
        let text = ""
        for (const output of batch) {
          if (isClose(output)) {
            if (text !== "") yield* write(text)
            return yield* finish(output.reason)
          }
          text += output
        }
        yield* write(text)
      }
    }).pipe(
      Effect.catchAll((error) => Effect.logDebug("write failed", error).pipe(Effect.zipRight(finish(closed)))),
      Effect.forkScoped
    )

    // Reader: lines in, commands to the hub, until the client is done.
    const waitForToken = yield* FloodControl.make(config)
    const decoder = Frame.decoder(config.maxLineBytes)
    const tooLong = Reply.userError(new LineTooLong({ maxBytes: config.maxLineBytes }))

    // Set by `/quit`, whose `*** bye` the hub has already queued with its close.
    const quitting = yield* Ref.make<DisconnectReason | undefined>(undefined)

    /** Handles one frame; false once the client has quit. */
    const onFrame = (frame: Frame.Frame): Effect.Effect<boolean> => {
      if (frame._tag === "TooLong") return waitForToken.pipe(Effect.zipRight(hub.tell(session.id, [tooLong])), Effect.as(true))
      const line = Reply.clean(frame.text)
      if (line === "") return Effect.succeed(true)
      return waitForToken.pipe(
        Effect.zipRight(Either.match(Command.parse(line), {
          onLeft: (error) => hub.tell(session.id, [Reply.userError(error)]).pipe(Effect.as(true)),
          onRight: (command) =>
            hub.execute(session.id, command).pipe(
              Effect.zipRight(
                command._tag === "Quit"
                  ? Ref.set(quitting, { _tag: "Quit", message: command.message }).pipe(Effect.as(false))
                  : Effect.succeed(true)
              )
            )
        }))
      )
    }

    const frames = Mailbox.toStream(inbox).pipe(Stream.mapConcat(decoder.push))
    const idleTimeout = config.idleTimeout
    const watched: Stream.Stream<Frame.Frame, Socket.SocketError | IdleTimeoutReached> = idleTimeout === undefined
      ? frames
      : frames.pipe(Stream.timeoutFail(() => new IdleTimeoutReached(), idleTimeout.duration))

    /** Ends after the lines already on their way, or after `flushTimeout` if the client will not take them. */
    const closeAfterFlush = (reason: DisconnectReason, lines: ReadonlyArray<Reply.Line>) =>
      hub.tell(session.id, lines, reason).pipe(Effect.zipRight(finishLater(reason)))
    const finishLater = (reason: DisconnectReason) => Effect.sleep(config.flushTimeout).pipe(Effect.zipRight(finish(reason)))

    yield* watched.pipe(
      Stream.runForEachWhile(onFrame),
      Effect.matchEffect({
        onSuccess: () =>
          Ref.get(quitting).pipe(
            Effect.flatMap((quit) => quit === undefined ? closeAfterFlush(closed, []) : finishLater(quit))
          ),
        onFailure: (error) =>
          error instanceof IdleTimeoutReached
            ? closeAfterFlush(idle, [Reply.idleDisconnect(idleTimeout?.label ?? "")])
            : Effect.logDebug("read failed", error).pipe(Effect.zipRight(finish(closed)))
      }),
      Effect.forkScoped
    )

    const reason = yield* Deferred.await(ending)
    yield* Effect.logDebug("disconnected", reason._tag)
  }).pipe(
    Effect.scoped,
    // Defects are bugs: logged with their cause, contained to this connection.
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logWarning("connection failed", cause)
    )
  )
