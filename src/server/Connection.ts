/**
 * One client's life, as a scoped resource over any `Socket`, in any protocol.
 *
 * Setting a connection up (`handle`) registers everything it needs in the
 * connection's scope and returns; what runs after that runs only while
 * there is work, in fibers of that scope (`ConnectionLifetime` keeps the
 * scope open until the connection ends, with no fiber waiting for it when
 * the socket layer allows):
 * - the reader, started when the socket has something to read
 *   (`DirectRead`), frames it (`protocol.framing`), parses each frame
 *   (`protocol.parse`), waits for flood control, and hands the commands to
 *   the hub, a read's worth at a time, until the socket has nothing more;
 * - the writer, started when the client's outbox (filled by the hub,
 *   rendered by `protocol.render`, bounded: past `maxQueue` the client is cut
 *   off `(too slow)`, and the hub never waits for it) has text the socket
 *   could not take at once, writes everything ready in one write;
 * - at its idle deadline, the listener's idle watch (`IdleWatch`).
 *
 * Why not a reader and a writer fiber for the connection's whole life, as
 * the design first had it, nor one fiber serving it and waiting for its end:
 * measured, those parked fibers were most of the memory of an idle
 * connection (see the README's Performance section).
 *
 * A protocol with a session (`WireProtocol.session`, IRC) reads every frame
 * itself, answers what needs nothing shared on its own, and says when the
 * client registers: only then is it connected to the hub, under the nick it
 * asked for. A quiet client of such a protocol is pinged before it is dropped.
 *
 * Whatever ends the connection first (end of stream, a quit, idle, too slow,
 * shutdown, a socket error) decides its `DisconnectReason` and calls the
 * `whenEnded` callback; closing the scope then removes the client from the
 * hub, which tells its rooms exactly once.
 */
import type * as Socket from "@effect/platform/Socket"
import type { Scope } from "effect"
import { Clock, Data, Duration, Effect, Either, FiberSet } from "effect"
import type { Input } from "../domain/Command.js"
import type { DisconnectReason, NickTaken, UserInfo } from "../domain/Domain.js"
import { closed, idle, LineTooLong, NotDelivered, quit, tooSlow } from "../domain/Domain.js"
import type { Rendered, Reply } from "../domain/Event.js"
import type { BackplaneError } from "../hub/Backplane.js"
import type { Session } from "../hub/Hub.js"
import { Hub } from "../hub/Hub.js"
import * as Frame from "../protocol/Frame.js"
import type { Step, WireProtocol } from "../protocol/WireProtocol.js"
import { ServerConfig } from "../ServerConfig.js"
import * as DirectRead from "../socket/DirectRead.js"
import * as DirectWrite from "../socket/DirectWrite.js"
import * as ChatMetrics from "./ChatMetrics.js"
import * as FloodControl from "./FloodControl.js"
import * as IdleWatch from "./IdleWatch.js"
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

/**
 * A listener's connection handler, with the idle watch its connections share
 * for as long as the scope lasts.
 */
export const handler = (protocol: WireProtocol) => Effect.map(IdleWatch.make, (watch) => handle(protocol, watch))

/** A connection set up in its scope: `whenEnded` is called once it has ended, and the scope is then to be closed. */
export interface Opened {
  readonly whenEnded: (ended: () => void) => void
}

/**
 * Sets one client up in the current scope. Fails when a client that needs
 * no registration cannot be connected to the hub (it has been told why).
 */
export const handle = (protocol: WireProtocol, idleWatch: IdleWatch.IdleWatch) => {
  const metrics = ChatMetrics.forTransport(protocol.name)
  return (
    socket: Socket.Socket
  ): Effect.Effect<Opened, NickTaken | BackplaneError, Hub | ServerConfig | Scope.Scope> =>
    Effect.gen(function*() {
      const config = yield* ServerConfig
      const hub = yield* Hub
      // Why the connection ended; the first reason wins, later ones are no-ops.
      let ending: DisconnectReason | undefined
      let onEnded: (() => void) | undefined
      const decide = (reason: DisconnectReason): void => {
        if (ending !== undefined) return
        ending = reason
        onEnded?.()
      }
      const finish = (reason: DisconnectReason) => Effect.sync(() => decide(reason))

      // Runs the reader and the writer on demand, in fibers of the connection's scope.
      const fibers = yield* FiberSet.make()
      const runFork = yield* FiberSet.runtime(fibers)<Hub | ServerConfig | Scope.Scope>()
      const write = yield* socket.writer
      const direct = DirectWrite.of(socket)
      const outbox = Outbox.make({
        maxLines: config.maxQueue,
        onTooSlow: () => {
          metrics.slowReaderCutoffs.add(1)
          decide(tooSlow)
        },
        // Not immediately: the writer takes everything the current transition appends, in one write.
        startWriter: () => {
          runFork(writer, { immediate: false })
        },
        direct,
        observer: { delivered: metrics.deliveries.add, backlog: metrics.outboxBacklog.add }
      })
      // Writer: everything ready goes out in one write. Written as recursion on
      // `flatMap` rather than `Effect.gen`: it runs once per recipient per
      // event for a socket without a direct write, and a generator step costs more.
      const writeAll: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() => {
        const step = outbox.next()
        if (step === undefined) return Effect.void
        if (step._tag === "Drain") return direct === undefined ? writeAll : Effect.zipRight(direct.drained, writeAll)
        const next = step.close === undefined ? writeAll : finish(step.close)
        return step.text === "" ? next : Effect.zipRight(write(step.text), next)
      })
      const writer = writeAll.pipe(
        Effect.catchAll((error) =>
          annotated(Effect.logDebug("write failed", error)).pipe(Effect.zipRight(finish(closed)))
        )
      )
      const protocolSession = protocol.session?.()
      const sink = protocolSession?.sink?.(outbox) ?? outbox
      const connectAs = (nick: Session["nick"] | undefined, info?: UserInfo) =>
        hub.connect({ sink, render: protocol.render, room: protocol.startIn, nick, info, reason: () => ending }).pipe(
          // In a cluster, Redis may be unreachable: the client hears why before the connection closes.
          Effect.tapErrorTag("BackplaneError", () => unreachable(protocol, socket))
        )
      // Connected at once, or once the protocol's session registers.
      let session: Session | undefined = protocolSession === undefined ? yield* connectAs(undefined) : undefined
      // Each log line names the client, annotated where it is written: annotating the
      // connection's fiber instead would keep a copy of its FiberRefs for every idle client.
      const annotated = <A, E, R>(log: Effect.Effect<A, E, R>) =>
        Effect.annotateLogs(log, { client: session?.id, protocol: protocol.name })
      // Built when called, once `session` is set.
      const logConnected = () => annotated(Effect.logDebug("connected"))
      if (session !== undefined) yield* logConnected()
      /** Text for this client that needs nothing shared: straight into its outbox. */
      const writeLocal = (rendered: Rendered): void => {
        if (rendered.count > 0) outbox.write(rendered.text, rendered.count)
      }

      // Reading: the reader runs while the socket has chunks, and reads the
      // next only when the last one is handled, so while flood control waits
      // nothing more is read and TCP slows the sender. What was read before a
      // reset is still handled; lines that flood control holds back when the
      // reset comes are dropped (the socket's `failed` cuts the wait short).
      const reads = yield* DirectRead.fromSocket(socket, { raw: protocol.framing === "message" })

      // Handling: lines in, to the hub in batches, until the client is done.
      const resetWhileWaiting = reads.failed.pipe(Effect.catchAll(() => Effect.fail(new ResetWhileWaiting())))
      const admit = yield* FloodControl.make(config, resetWhileWaiting, metrics.floodDelayed.add)
      // Splits what the socket reads into frames, as the protocol frames them.
      const frames = protocol.framing === "message"
        ? messageFrame(config.maxLineBytes, protocol.binary)
        : streamFrame(config.maxLineBytes)
      // Made when needed: an error value captures a stack, a few hundred bytes that an idle client need not hold.
      const tooLong = (): Input => Either.left(new LineTooLong({ maxBytes: config.maxLineBytes }))
      // The idle timeout: the operator's, or the protocol's own keep-alive default.
      const idleTimeout = config.idleTimeout ?? (protocolSession?.keepAlive === undefined ? undefined : {
        duration: protocolSession.keepAlive.idleTimeout,
        label: Duration.format(protocolSession.keepAlive.idleTimeout)
      })
      // When a line last arrived, for the idle timeout; without one, nobody asks.
      let lastLineAt = yield* Clock.currentTimeMillis
      const lineArrived = idleTimeout === undefined
        ? Effect.void
        : Clock.currentTimeMillis.pipe(Effect.map((now) => {
          lastLineAt = now
        }))

      /** What a frame asks for; undefined for one that asks nothing (a blank line is ignored). */
      const toInput = (frame: Frame.Frame): Input | undefined =>
        frame._tag === "TooLong" ? tooLong() : protocol.parse(frame.text)

      /** The hub could not take the lines: the client hears they were not delivered, and stays. */
      const notDelivered = (connected: Session, inputs: ReadonlyArray<Input>) =>
        hub.tellHere(connected.id, inputs.map(() => ({ _tag: "Failed", error: new NotDelivered() })))

      /** Hands the lines to the hub as flood control admits them; fails once the client has quit. */
      const onLines = (
        connected: Session,
        inputs: ReadonlyArray<Input>
      ): Effect.Effect<void, Quitting | ResetWhileWaiting> =>
        Effect.gen(function*() {
          let done = 0
          while (done < inputs.length) {
            const batch = inputs.slice(done, done + (yield* admit(inputs.length - done)))
            done += batch.length
            const quit = yield* hub.execute(connected.id, batch).pipe(
              Effect.catchAll((error) =>
                annotated(Effect.logWarning("lines not delivered", error)).pipe(
                  Effect.zipRight(notDelivered(connected, batch)),
                  Effect.as(undefined)
                )
              )
            )
            // The hub has already queued its `*** bye` with the close.
            if (quit !== undefined) return yield* Effect.fail(new Quitting({ reason: quit }))
          }
        })

      /**
       * Frames read by the protocol's session, one at a time (registering
       * changes how the next one reads), each counted once for flood control.
       * Commands for the hub go in batches; local answers wait for the
       * commands before them to be handed over.
       */
      const onFrames = (
        framed: ReadonlyArray<Frame.Frame>,
        read: (frame: Frame.Frame) => ReadonlyArray<Step>
      ): Effect.Effect<void, Quitting | ResetWhileWaiting, Scope.Scope> =>
        Effect.gen(function*() {
          let pending: Array<Input> = []
          const flush = Effect.suspend(() => {
            const inputs = pending
            pending = []
            return inputs.length === 0 || session === undefined ? Effect.void : onLinesNow(session, inputs)
          })
          // Frames flood control has let through and not yet read.
          let admitted = 0
          for (let i = 0; i < framed.length; i++) {
            if (admitted === 0) {
              // What was admitted goes to the hub before waiting for more.
              yield* flush
              admitted = yield* admit(framed.length - i)
            }
            admitted--
            // Read only now: registering changes how the next frame reads.
            for (const step of read(framed[i]!)) {
              switch (step._tag) {
                case "Input":
                  metrics.message(kindLabel(step.input))
                  pending.push(step.input)
                  break
                case "Local":
                  yield* flush
                  writeLocal(step.rendered)
                  break
                case "Register": {
                  yield* flush
                  if (session !== undefined) break
                  const connected = yield* Effect.either(connectAs(step.nick, step.info))
                  if (Either.isRight(connected)) {
                    session = connected.right
                    protocolSession!.registered?.(connected.right.nick)
                    yield* logConnected()
                  } else if (connected.left._tag === "NickTaken") {
                    writeLocal(protocolSession!.nickTaken(connected.left))
                  } else {
                    yield* annotated(Effect.logWarning("could not register a client", connected.left))
                    return yield* Effect.fail(new Quitting({ reason: closed }))
                  }
                  break
                }
                case "Close":
                  yield* flush
                  writeLocal(step.rendered)
                  outbox.close(quit(undefined))
                  return yield* Effect.fail(new Quitting({ reason: quit(undefined) }))
              }
            }
          }
          yield* flush
        })

      /** Hands lines already admitted by flood control to the hub. */
      const onLinesNow = (connected: Session, inputs: ReadonlyArray<Input>) =>
        hub.execute(connected.id, inputs).pipe(
          Effect.catchAll((error) =>
            annotated(Effect.logWarning("lines not delivered", error)).pipe(
              Effect.zipRight(notDelivered(connected, inputs)),
              Effect.as(undefined)
            )
          ),
          Effect.flatMap((quit) => quit === undefined ? Effect.void : Effect.fail(new Quitting({ reason: quit })))
        )

      const onChunk = (chunk: Uint8Array | string): Effect.Effect<void, Quitting | ResetWhileWaiting, Scope.Scope> =>
        Effect.suspend(() => {
          const framed = frames(chunk)
          if (Either.isEither(framed)) {
            metrics.message(kindLabel(framed))
            return session === undefined ? lineArrived : Effect.zipRight(lineArrived, onLines(session, [framed]))
          }
          if (framed.length === 0) return Effect.void
          if (protocolSession !== undefined) {
            return Effect.zipRight(lineArrived, onFrames(framed, protocolSession.read))
          }
          const inputs: Array<Input> = []
          for (const frame of framed) {
            const input = toInput(frame)
            if (input !== undefined) {
              metrics.message(kindLabel(input))
              inputs.push(input)
            }
          }
          return inputs.length === 0 || session === undefined
            ? lineArrived
            : Effect.zipRight(lineArrived, onLines(session, inputs))
        })

      /** Ends after the lines already on their way, or after `flushTimeout` if the client will not take them. */
      const finishLater = (reason: DisconnectReason) =>
        Effect.sleep(config.flushTimeout).pipe(Effect.zipRight(finish(reason)))
      const closeAfterFlush = (reason: DisconnectReason, replies: ReadonlyArray<Reply>) =>
        Effect.suspend(() => {
          if (session === undefined) {
            // Not registered: nothing shared to wait for.
            writeLocal(protocol.render.replies(replies))
            outbox.close(reason)
            return finishLater(reason)
          }
          return hub.tell(session.id, replies, reason).pipe(
            // Without the hub, the client is closed at once: nothing more would reach it.
            Effect.catchAll((error) => annotated(Effect.logWarning("could not tell a client it is closed", error))),
            Effect.zipRight(finishLater(reason))
          )
        })

      /** Handles chunks while the socket has them; ends at `wait` (the reader stops) or at the end of the stream. */
      const readAll: Effect.Effect<
        "paused" | "ended",
        Quitting | ResetWhileWaiting | Socket.SocketError,
        Scope.Scope
      > = Effect.suspend(() => {
        const result = reads.read()
        if (DirectRead.isChunk(result)) return Effect.zipRight(onChunk(result), readAll)
        if (result === DirectRead.wait) return Effect.succeed("paused")
        if (result === DirectRead.end) return Effect.succeed("ended")
        return Effect.fail(result)
      })
      const reader = readAll.pipe(
        Effect.matchEffect({
          onSuccess: (state) => {
            if (state === "ended") {
              // End of stream: the lines before it were processed; now close.
              return closeAfterFlush(closed, [])
            }
            // Nothing more to read for now: the next chunk starts a reader again.
            return Effect.sync(() => reads.whenReadable(startReader))
          },
          onFailure: (error) =>
            error instanceof Quitting
              ? finishLater(error.reason)
              // A reset or socket error: the client is gone, and so are any lines
              // flood control was still holding back.
              : annotated(Effect.logDebug("read failed", error)).pipe(Effect.zipRight(finish(closed)))
        })
      )
      function startReader(): void {
        runFork(reader)
      }
      startReader()

      // Idle timeout: the listener's idle watch calls `due` at the deadline the last
      // line set, and this connection holds no fiber for it. With a keep-alive,
      // the client is pinged once half the time has passed.
      let stopWatching = (): void => {}
      if (idleTimeout !== undefined) {
        const timeout = Duration.toMillis(idleTimeout.duration)
        const keepAlive = protocolSession?.keepAlive
        let pingedAfter = -1
        const due = (now: number): number | undefined => {
          const last = lastLineAt
          const silentFor = now - last
          if (silentFor >= timeout) {
            runFork(closeAfterFlush(idle, [{ _tag: "IdleTimeout", after: idleTimeout.label }]))
            return undefined
          }
          if (keepAlive !== undefined && pingedAfter !== last && silentFor >= timeout / 2) {
            pingedAfter = last
            writeLocal(keepAlive.ping())
          }
          const pingAt = keepAlive !== undefined && pingedAfter !== last ? timeout / 2 : timeout
          return now + Math.max(1, pingAt - silentFor)
        }
        const now = yield* Clock.currentTimeMillis
        stopWatching = idleWatch.watch(now + (keepAlive !== undefined ? timeout / 2 : timeout), { due })
      }

      // Counted once served, registered with the hub or not (an IRC client registers later).
      metrics.connects.add(1)
      metrics.connections.add(1)
      // Closing starts here: no line is handled, nor written, once the client's end is being
      // announced. (One finalizer for both jobs: each keeps its own copy of the fiber's state.)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => stopWatching()).pipe(
          Effect.zipRight(FiberSet.clear(fibers)),
          Effect.zipRight(Effect.sync(() => ending ?? closed)),
          Effect.tap((reason) => {
            metrics.connections.add(-1)
            metrics.outboxBacklog.add(-outbox.backlog())
            metrics.disconnect(reasonLabel(reason))
            return annotated(Effect.logDebug("disconnected", reason._tag))
          })
        )
      )
      return {
        whenEnded: (ended) => {
          if (ending !== undefined) ended()
          else onEnded = ended
        }
      } satisfies Opened
    })
}
