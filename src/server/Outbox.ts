/**
 * One client's outbox: the text waiting to be written, bounded in lines.
 *
 * The hub appends to it directly, inside the transition that made the lines
 * (so nothing but the hub's own order decides what a client sees), and the
 * connection's writer takes everything at once. This is the hottest hand-off
 * in the server, once per recipient per event, so it is a string and a
 * counter rather than a queue of items, appending never waits, and waking
 * the writer is one callback rather than a `Deferred`.
 */
import type * as Socket from "@effect/platform/Socket"
import { Effect } from "effect"
import type { DisconnectReason } from "../domain/Domain.js"
import type { Sink } from "../domain/Event.js"
import type { DirectWrite } from "../socket/DirectWrite.js"

/** What the writer takes at once: written together, counted in lines. */
export interface Batch {
  readonly text: string
  readonly lines: number
  /** Set once everything for the client has been taken: end the connection with this reason. */
  readonly close: DisconnectReason | undefined
}

export interface Outbox extends Sink {
  /**
   * Waits for text (or a close), then takes all of it. With a direct write,
   * it may first wait for the socket to drain, and fail if it closed.
   */
  readonly take: Effect.Effect<Batch, Socket.SocketError>
  /** Lines waiting for the writer now. */
  readonly backlog: () => number
}

/** What an outbox reports as it goes, for metrics. */
export interface Observer {
  /** `count` lines were handed over for the client (to the socket, or to wait here). */
  readonly delivered: (count: number) => void
  /** The lines waiting here grew (or, negative, shrank) by `delta`. */
  readonly backlog: (delta: number) => void
}

/**
 * An outbox holding at most `maxLines` lines that the writer has not taken.
 * Text that would take the backlog past it is refused and `onTooSlow` is
 * called once: from then on the outbox takes nothing more. Text arriving at
 * an empty outbox always fits, however many lines it holds (a room's history
 * can be longer than the bound). After a close, nothing more is taken either.
 *
 * What the writer has taken is the socket's: the writer takes the next
 * batch only once the socket has accepted the last one, so a client that
 * stops reading holds at most one batch there and fills its outbox next.
 *
 * With `direct`, text arriving while the writer is idle goes straight to
 * the socket, with no fiber woken; the writer is woken only to wait for a
 * full socket to drain, and meanwhile text gathers here as without it.
 */
export const make = (
  maxLines: number,
  onTooSlow: () => void,
  direct?: DirectWrite,
  observer?: Observer
): Outbox => {
  let text = ""
  // Lines in `text`.
  let lines = 0
  let close: DisconnectReason | undefined
  let cutOff = false
  let waiting: ((taken: Effect.Effect<Batch, Socket.SocketError>) => void) | undefined

  const drain = (): Batch => {
    const batch: Batch = { text, lines, close }
    if (lines > 0) observer?.backlog(-lines)
    text = ""
    lines = 0
    return batch
  }
  // Lazy, so a writer woken by the first of many appends in one transition takes them all.
  const drained = Effect.sync(drain)

  const wakeWith = (taken: Effect.Effect<Batch, Socket.SocketError>): void => {
    const resume = waiting
    if (resume !== undefined) {
      waiting = undefined
      resume(taken)
    }
  }
  const wake = (): void => wakeWith(drained)

  const write = (line: string, count: number, canWait = false): void => {
    if (cutOff || close !== undefined) return
    if (direct !== undefined && waiting !== undefined) {
      switch (direct.write(line, canWait)) {
        case "ok":
          observer?.delivered(count)
          return
        case "full":
          observer?.delivered(count)
          return wakeWith(Effect.zipRight(direct.drained, drained))
        case "closed":
          // Taken the usual way, so that the writer fails with the socket's own error.
          break
      }
    }
    if (lines > 0 && lines + count > maxLines) {
      cutOff = true
      return onTooSlow()
    }
    text += line
    lines += count
    observer?.delivered(count)
    observer?.backlog(count)
    wake()
  }

  const closeWith = (reason: DisconnectReason): void => {
    if (cutOff || close !== undefined) return
    close = reason
    wake()
  }

  const take = Effect.async<Batch, Socket.SocketError>((resume) => {
    if (text !== "" || close !== undefined) return resume(Effect.succeed(drain()))
    waiting = resume
    return Effect.sync(() => {
      waiting = undefined
    })
  })

  return { write, close: closeWith, take, backlog: () => lines }
}
