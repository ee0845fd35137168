/**
 * One client's life, as a scoped resource over any `Socket`, in any protocol.
 *
 * Fibers, all in the connection's scope:
 * - the reader pulls bytes off the socket, a chunk at a time;
 * - the handler frames them (`protocol.framing`), parses each frame
 *   (`protocol.parse`), waits for flood control, and hands the commands to
 *   the hub, a read's worth at a time;
 * - the writer drains everything ready in the client's outbox (filled by the
 *   hub, rendered by `protocol.render`, bounded: past `maxQueue` the client
 *   is cut off `(too slow)`, and the hub never waits for it) into one write;
 * - with an idle timeout, a watchdog.
 *
 * Whatever ends the connection first (end of stream, a quit, idle, too slow,
 * shutdown, a socket error) decides its `DisconnectReason`; closing the scope
 * then removes the client from the hub, which tells its rooms exactly once.
 */
import type * as Socket from "@effect/platform/Socket"
import { Cause, Clock, Data, Deferred, Duration, Effect, Either, Exit, Mailbox, Ref } from "effect"
import type { Input } from "../domain/Command.js"
import type { DisconnectReason } from "../domain/Domain.js"
import { closed, idle, LineTooLong, NotDelivered, tooSlow } from "../domain/Domain.js"
import type { Reply } from "../domain/Event.js"
import { Hub } from "../hub/Hub.js"
import * as Frame from "../protocol/Frame.js"
import type { WireProtocol } from "../protocol/WireProtocol.js"
import { ServerConfig } from "../ServerConfig.js"
import * as DirectWrite from "../socket/DirectWrite.js"
import * as FloodControl from "./FloodControl.js"
import * as Outbox from "./Outbox.js"

/** The client quit: its reading stops there. */
class Quitting extends Data.TaggedError("Quitting")<{ readonly reason: DisconnectReason }> {}

/** The connection was reset while its lines waited for flood control. */
class ResetWhileWaiting extends Data.TaggedError("ResetWhileWaiting") {}

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/** Splits what the socket reads into frames, as the protocol frames them. */
const framer = (
  framing: WireProtocol["framing"],
  maxBytes: number
): (chunk: Uint8Array) => ReadonlyArray<Frame.Frame> => {
  if (framing === "stream") {
    const decoder = Frame.decoder(maxBytes)
    return decoder.push
  }
  const tooLong = [Frame.Frame.TooLong()]
  return (chunk) => chunk.byteLength > maxBytes ? tooLong : [Frame.Frame.Line({ text: utf8.decode(chunk) })]
}

/** Serves one client until it goes; never fails. */
const notDeliveredReply: ReadonlyArray<Reply> = [{ _tag: "Failed", error: new NotDelivered() }]

/** Tells a client that could not be registered (the backplane is unreachable) that its connection was not taken. */
const unreachable = (protocol: WireProtocol, socket: Socket.Socket): Effect.Effect<void> =>
  Effect.gen(function*() {
    // As for a refused client: some sockets only write while `run` is reading.
    yield* socket.run(() => {}).pipe(Effect.exit, Effect.forkScoped)
    const write = yield* socket.writer
    yield* write(protocol.render.replies(notDeliveredReply).text)
  }).pipe(
    Effect.scoped,
    Effect.timeoutOption("1 second"),
    Effect.catchAll((error) => Effect.logDebug("could not tell a client the chat is unreachable", error)),
    Effect.asVoid
  )

export const handle =
  (protocol: WireProtocol) => (socket: Socket.Socket): Effect.Effect<void, never, Hub | ServerConfig> =>
    Effect.gen(function*() {
      const config = yield* ServerConfig
      const hub = yield* Hub
      const ending = yield* Deferred.make<DisconnectReason>()
      // The first reason wins; later ones are no-ops.
      const finish = (reason: DisconnectReason) => Deferred.succeed(ending, reason)

      const outbox = Outbox.make(
        config.maxQueue,
        () => Deferred.unsafeDone(ending, Exit.succeed(tooSlow)),
        DirectWrite.of(socket)
      )
      const session = yield* hub.connect({
        sink: outbox,
        render: protocol.render,
        room: protocol.startIn,
        reason: ending
      }).pipe(
        // In a cluster, Redis may be unreachable: the client hears why before the connection closes.
        Effect.tapErrorTag("BackplaneError", () => unreachable(protocol, socket))
      )
      yield* Effect.annotateLogsScoped({ client: session.id, protocol: protocol.name })
      yield* Effect.logDebug("connected")

      // Writer: everything ready goes out in one write. Written as recursion on
      // `flatMap` rather than `Effect.gen`: it runs once per recipient per
      // event, and a generator step costs more.
      const write = yield* socket.writer
      const writeAll: Effect.Effect<void, Socket.SocketError> = Effect.flatMap(outbox.take, (batch) => {
        const next = batch.close === undefined ? writeAll : finish(batch.close)
        return batch.text === "" ? next : Effect.zipRight(write(batch.text), next)
      })
      yield* writeAll.pipe(
        Effect.catchAll((error) => Effect.logDebug("write failed", error).pipe(Effect.zipRight(finish(closed)))),
        Effect.forkScoped
      )

      // Reading: the socket's `run` hands each chunk over through a one-chunk
      // inbox and reads the next only when there is room again, so while flood
      // control waits nothing more is read and TCP slows the sender. What was
      // read before a reset is still handled; lines that flood control holds
      // back when the reset comes are dropped (`gone` cuts the wait short).
      const inbox = yield* Mailbox.make<Uint8Array, Socket.SocketError>(1)
      const gone = yield* Deferred.make<void>()
      yield* socket.run((chunk) => inbox.offer(chunk)).pipe(
        Effect.tapError(() => Deferred.succeed(gone, undefined)),
        Mailbox.into(inbox),
        Effect.forkScoped
      )

      // Handling: lines in, to the hub in batches, until the client is done.
      const resetWhileWaiting = Deferred.await(gone).pipe(Effect.zipRight(Effect.fail(new ResetWhileWaiting())))
      const admit = yield* FloodControl.make(config, resetWhileWaiting)
      const frames = framer(protocol.framing, config.maxLineBytes)
      const tooLong: Input = Either.left(new LineTooLong({ maxBytes: config.maxLineBytes }))
      // When a line last arrived, for the idle timeout; without one, nobody asks.
      const lastLineAt = yield* Ref.make(yield* Clock.currentTimeMillis)
      const lineArrived = config.idleTimeout === undefined
        ? Effect.void
        : Clock.currentTimeMillis.pipe(Effect.flatMap((now) => Ref.set(lastLineAt, now)))

      /** What a frame asks for; undefined for one that asks nothing (a blank line is ignored). */
      const toInput = (frame: Frame.Frame): Input | undefined =>
        frame._tag === "TooLong" ? tooLong : protocol.parse(frame.text)

      /** The hub could not take the lines: the client hears they were not delivered, and stays. */
      const notDelivered = (inputs: ReadonlyArray<Input>) =>
        hub.tellHere(session.id, inputs.map(() => ({ _tag: "Failed", error: new NotDelivered() })))

      /** Hands the lines to the hub as flood control admits them; fails once the client has quit. */
      const onLines = (inputs: ReadonlyArray<Input>): Effect.Effect<void, Quitting | ResetWhileWaiting> =>
        Effect.gen(function*() {
          let done = 0
          while (done < inputs.length) {
            const batch = inputs.slice(done, done + (yield* admit(inputs.length - done)))
            done += batch.length
            const quit = yield* hub.execute(session.id, batch).pipe(
              Effect.catchAll((error) =>
                Effect.logWarning("lines not delivered", error).pipe(
                  Effect.zipRight(notDelivered(batch)),
                  Effect.as(undefined)
                )
              )
            )
            // The hub has already queued its `*** bye` with the close.
            if (quit !== undefined) return yield* Effect.fail(new Quitting({ reason: quit }))
          }
        })

      const onChunk = (chunk: Uint8Array): Effect.Effect<void, Quitting | ResetWhileWaiting> =>
        Effect.suspend(() => {
          const framed = frames(chunk)
          if (framed.length === 0) return Effect.void
          const inputs: Array<Input> = []
          for (const frame of framed) {
            const input = toInput(frame)
            if (input !== undefined) inputs.push(input)
          }
          return inputs.length === 0 ? lineArrived : Effect.zipRight(lineArrived, onLines(inputs))
        })

      /** Ends after the lines already on their way, or after `flushTimeout` if the client will not take them. */
      const finishLater = (reason: DisconnectReason) =>
        Effect.sleep(config.flushTimeout).pipe(Effect.zipRight(finish(reason)))
      const closeAfterFlush = (reason: DisconnectReason, replies: ReadonlyArray<Reply>) =>
        hub.tell(session.id, replies, reason).pipe(
          // Without the hub, the client is closed at once: nothing more would reach it.
          Effect.catchAll((error) => Effect.logWarning("could not tell a client it is closed", error)),
          Effect.zipRight(finishLater(reason))
        )

      const endOfStream = Effect.succeed(undefined)
      const handling = Effect.gen(function*() {
        while (true) {
          const chunk = yield* inbox.take.pipe(Effect.catchIf(Cause.isNoSuchElementException, () => endOfStream))
          if (chunk === undefined) return
          yield* onChunk(chunk)
        }
      })

      yield* handling.pipe(
        Effect.matchEffect({
          // End of stream: the lines before it were processed; now close.
          onSuccess: () => closeAfterFlush(closed, []),
          onFailure: (error) =>
            error instanceof Quitting
              ? finishLater(error.reason)
              // A reset or socket error: the client is gone, and so are any lines
              // flood control was still holding back.
              : Effect.logDebug("read failed", error).pipe(Effect.zipRight(finish(closed)))
        }),
        Effect.forkScoped
      )

      // Idle timeout: a watchdog that sleeps until the deadline the last line set.
      // A loop, not recursion: a client may stay for days, and each re-arm by
      // recursion inside a generator kept the one before it alive.
      const idleTimeout = config.idleTimeout
      if (idleTimeout !== undefined) {
        const timeout = Duration.toMillis(idleTimeout.duration)
        const watch: Effect.Effect<void> = Effect.gen(function*() {
          while (true) {
            const silentFor = (yield* Clock.currentTimeMillis) - (yield* Ref.get(lastLineAt))
            if (silentFor >= timeout) break
            yield* Effect.sleep(timeout - silentFor)
          }
          yield* closeAfterFlush(idle, [{ _tag: "IdleTimeout", after: idleTimeout.label }])
        })
        yield* Effect.forkScoped(watch)
      }

      const reason = yield* Deferred.await(ending)
      yield* Effect.logDebug("disconnected", reason._tag)
    }).pipe(
      Effect.scoped,
      // Defects are bugs: logged with their cause, contained to this connection.
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logWarning("connection failed", cause)
      )
    )
