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
import { Cause, Clock, Data, Deferred, Duration, Effect, Either, Exit, Mailbox, Option, Ref } from "effect"
import type { Input } from "../domain/Command.js"
import type { DisconnectReason } from "../domain/Domain.js"
import { closed, idle, LineTooLong, NotDelivered, tooSlow } from "../domain/Domain.js"
import type { Reply } from "../domain/Event.js"
import { Hub } from "../hub/Hub.js"
import * as Frame from "../protocol/Frame.js"
import type { WireProtocol } from "../protocol/WireProtocol.js"
import { ServerConfig } from "../ServerConfig.js"
import * as DirectWrite from "../socket/DirectWrite.js"
import * as ChatMetrics from "./ChatMetrics.js"
import * as FloodControl from "./FloodControl.js"
import * as Outbox from "./Outbox.js"

/** The client quit: its reading stops there. */
class Quitting extends Data.TaggedError("Quitting")<{ readonly reason: DisconnectReason }> {}

/** The connection was reset while its lines waited for flood control. */
class ResetWhileWaiting extends Data.TaggedError("ResetWhileWaiting") {}

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/** A byte stream split into lines; `run` hands over bytes only. */
const streamFrame = (maxBytes: number) => {
  const decoder = Frame.decoder(maxBytes)
  return (chunk: string | Uint8Array): ReadonlyArray<Frame.Frame> =>
    decoder.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk)
}

/**
 * With message framing a socket's `runRaw` hands over a text frame as a
 * string and a binary frame as bytes (the platform's WebSocket convention);
 * a text frame is measured in UTF-8 bytes like a line.
 */
const messageFrame = (maxBytes: number, binary: Input | undefined) => {
  const tooLong = [Frame.Frame.TooLong()]
  return (chunk: string | Uint8Array): ReadonlyArray<Frame.Frame> | Input =>
    typeof chunk === "string"
      ? Buffer.byteLength(chunk, "utf8") > maxBytes ? tooLong : [Frame.Frame.Line({ text: chunk })]
      : binary ?? (chunk.byteLength > maxBytes ? tooLong : [Frame.Frame.Line({ text: utf8.decode(chunk) })])
}

/** A command's kind for metrics: `say`, `act`, `join`... or `error` for a mistake. */
const kindLabel = (input: Input): string => Either.isRight(input) ? input.right._tag.toLowerCase() : "error"

/** A disconnect's reason for metrics: `quit`, `closed`, `idle`, `tooslow`, `shuttingdown`, `connectionlost`. */
const reasonLabel = (reason: DisconnectReason): string => reason._tag.toLowerCase()

/** Serves one client until it goes; never fails. */
export const handle = (protocol: WireProtocol) => {
  const metrics = ChatMetrics.forTransport(protocol.name)
  return (socket: Socket.Socket): Effect.Effect<void, never, Hub | ServerConfig> =>
    Effect.gen(function*() {
      const config = yield* ServerConfig
      const hub = yield* Hub
      const ending = yield* Deferred.make<DisconnectReason>()
      // The first reason wins; later ones are no-ops.
      const finish = (reason: DisconnectReason) => Deferred.succeed(ending, reason)

      const outbox = Outbox.make(
        config.maxQueue,
        () => {
          metrics.slowReaderCutoffs.add(1)
          Deferred.unsafeDone(ending, Exit.succeed(tooSlow))
        },
        DirectWrite.of(socket),
        { delivered: metrics.deliveries.add, backlog: metrics.outboxBacklog.add }
      )
      const session = yield* hub.connect({
        sink: outbox,
        render: protocol.render,
        room: protocol.startIn,
        reason: ending
      })
      yield* Effect.annotateLogsScoped({ client: session.id, protocol: protocol.name })
      yield* Effect.logDebug("connected")
      metrics.connects.add(1)
      metrics.connections.add(1)
      yield* Effect.addFinalizer(() =>
        Deferred.poll(ending).pipe(
          Effect.flatMap(Option.match({ onNone: () => Effect.succeed(closed), onSome: (decided) => decided })),
          Effect.map((reason) => {
            metrics.connections.add(-1)
            metrics.outboxBacklog.add(-outbox.backlog())
            metrics.disconnect(reasonLabel(reason))
          })
        )
      )

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
      const inbox = yield* Mailbox.make<Uint8Array | string, Socket.SocketError>(1)
      const gone = yield* Deferred.make<void>()
      const reading = protocol.framing === "message"
        ? socket.runRaw((chunk) => inbox.offer(chunk))
        : socket.run((chunk) => inbox.offer(chunk))
      yield* reading.pipe(
        Effect.tapError(() => Deferred.succeed(gone, undefined)),
        Mailbox.into(inbox),
        Effect.forkScoped
      )

      // Handling: lines in, to the hub in batches, until the client is done.
      const resetWhileWaiting = Deferred.await(gone).pipe(Effect.zipRight(Effect.fail(new ResetWhileWaiting())))
      const admit = yield* FloodControl.make(config, resetWhileWaiting, metrics.floodDelayed.add)
      // Splits what the socket reads into frames, as the protocol frames them.
      const frames = protocol.framing === "message"
        ? messageFrame(config.maxLineBytes, protocol.binary)
        : streamFrame(config.maxLineBytes)
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

      const onChunk = (chunk: Uint8Array | string): Effect.Effect<void, Quitting | ResetWhileWaiting> =>
        Effect.suspend(() => {
          const framed = frames(chunk)
          if (Either.isEither(framed)) {
            metrics.message(kindLabel(framed))
            return Effect.zipRight(lineArrived, onLines([framed]))
          }
          if (framed.length === 0) return Effect.void
          const inputs: Array<Input> = []
          for (const frame of framed) {
            const input = toInput(frame)
            if (input !== undefined) {
              metrics.message(kindLabel(input))
              inputs.push(input)
            }
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
}
