/**
 * One client's life, as a scoped resource over any `Socket`.
 *
 * Three fibers, all in the connection's scope:
 * - the reader pulls bytes, frames lines, waits for flood control, and hands
 *   the lines to the hub, a read's worth at a time;
 * - the pump moves the client's event stream into its outbox, bounded in
 *   lines: a client whose backlog passes `maxQueue` is cut off `(too slow)`,
 *   and the hub never waits for it;
 * - the writer drains everything ready in the outbox into one write.
 *
 * Whatever ends the connection first (end of stream, `/quit`, idle, too slow,
 * shutdown, a socket error) decides its `DisconnectReason`; closing the scope
 * then removes the client from the hub, which tells its room exactly once.
 */
import type * as Socket from "@effect/platform/Socket"
import type { Chunk} from "effect"
import { Cause, Deferred, Effect, Either, Mailbox, Queue, Ref, Stream } from "effect"
import * as Command from "./Command.js"
import type { DisconnectReason } from "./Domain.js"
import { LineTooLong } from "./Domain.js"
import type { Batch } from "./Event.js"
import * as FloodControl from "./FloodControl.js"
import * as Frame from "./Frame.js"
import { Hub } from "./Hub.js"
import type { Input } from "./HubState.js"
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

    // Pump: the hub's events for this client into its outbox. `queued`
    // counts the lines there and in the write under way.
    const outbox = yield* Queue.unbounded<Batch>()
    const queued = yield* Ref.make(0)
    yield* Effect.gen(function*() {
      while (true) {
        const batch = yield* session.pull
        const fits = yield* Ref.modify(queued, (lines) =>
          // A batch arriving at an empty outbox is not a backlog, whatever its size.
          lines > 0 && lines + batch.lines > config.maxQueue ? [false, lines] : [true, lines + batch.lines]
        )
        if (!fits) return yield* finish(tooSlow)
        yield* Queue.offer(outbox, batch)
        if (batch.close !== undefined) return
      }
    }).pipe(Effect.forkScoped)

    // Writer: everything ready goes out in one write.
    const write = yield* socket.writer
    yield* Effect.gen(function*() {
      while (true) {
        const batches = yield* Queue.takeBetween(outbox, 1, Number.POSITIVE_INFINITY)
        let text = ""
        let lines = 0
        let close: DisconnectReason | undefined
        for (const batch of batches) {
          text += batch.text
          lines += batch.lines
          close = batch.close
        }
        if (text !== "") yield* write(text)
        yield* Ref.update(queued, (n) => n - lines)
        if (close !== undefined) return yield* finish(close)
      }
    }).pipe(
      Effect.catchAll((error) => Effect.logDebug("write failed", error).pipe(Effect.zipRight(finish(closed)))),
      Effect.forkScoped
    )

    // Reader: lines in, to the hub in batches, until the client is done.
    const admit = yield* FloodControl.make(config)
    const decoder = Frame.decoder(config.maxLineBytes)
    const tooLong: Input = Either.left(new LineTooLong({ maxBytes: config.maxLineBytes }))

    /** What a frame asks for; undefined for a line that is blank once cleaned (it is ignored). */
    const toInput = (frame: Frame.Frame): Input | undefined => {
      if (frame._tag === "TooLong") return tooLong
      const line = Reply.clean(frame.text)
      return line === "" ? undefined : Command.parse(line)
    }

    // Set by `/quit`, whose `*** bye` the hub has already queued with its close.
    const quitting = yield* Ref.make<DisconnectReason | undefined>(undefined)

    /** Handles a read's worth of frames; false once the client has quit. */
    const onFrames = (frames: Chunk.Chunk<Frame.Frame>): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        const inputs: Array<Input> = []
        for (const frame of frames) {
          const input = toInput(frame)
          if (input !== undefined) inputs.push(input)
        }
        let done = 0
        while (done < inputs.length) {
          const batch = inputs.slice(done, done + (yield* admit(inputs.length - done)))
          done += batch.length
          const quit = yield* hub.execute(session.id, batch)
          if (quit !== undefined) {
            yield* Ref.set(quitting, quit)
            return false
          }
        }
        return true
      })

    const frames = Mailbox.toStream(inbox).pipe(Stream.mapConcat(decoder.push))
    const idleTimeout = config.idleTimeout
    const watched: Stream.Stream<Frame.Frame, Socket.SocketError | IdleTimeoutReached> = idleTimeout === undefined
      ? frames
      : frames.pipe(Stream.timeoutFail(() => new IdleTimeoutReached(), idleTimeout.duration))

    /** Ends after the lines already on their way, or after `flushTimeout` if the client will not take them. */
    const finishLater = (reason: DisconnectReason) =>
      Effect.sleep(config.flushTimeout).pipe(Effect.zipRight(finish(reason)))
    const closeAfterFlush = (reason: DisconnectReason, lines: ReadonlyArray<Reply.Line>) =>
      hub.tell(session.id, lines, reason).pipe(Effect.zipRight(finishLater(reason)))

    yield* watched.pipe(
      Stream.chunks,
      Stream.runForEachWhile(onFrames),
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
