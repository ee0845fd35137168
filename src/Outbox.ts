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
import { Effect } from "effect"
import type { DisconnectReason } from "./Domain.js"
import type { Sink } from "./Event.js"

/** What the writer takes at once: written together, counted in lines. */
export interface Batch {
  readonly text: string
  readonly lines: number
  /** Set once everything for the client has been taken: end the connection with this reason. */
  readonly close: DisconnectReason | undefined
}

export interface Outbox extends Sink {
  /** Waits for text (or a close), then takes all of it. */
  readonly take: Effect.Effect<Batch>
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
 */
export const make = (maxLines: number, onTooSlow: () => void): Outbox => {
  let text = ""
  // Lines in `text`.
  let lines = 0
  let close: DisconnectReason | undefined
  let cutOff = false
  let waiting: ((batch: Effect.Effect<Batch>) => void) | undefined

  const drain = (): Batch => {
    const batch: Batch = { text, lines, close }
    text = ""
    lines = 0
    return batch
  }
  // Lazy, so a writer woken by the first of many appends in one transition takes them all.
  const drained = Effect.sync(drain)

  const wake = (): void => {
    const resume = waiting
    if (resume !== undefined) {
      waiting = undefined
      resume(drained)
    }
  }

  const write = (line: string, count: number): void => {
    if (cutOff || close !== undefined) return
    if (lines > 0 && lines + count > maxLines) {
      cutOff = true
      return onTooSlow()
    }
    text += line
    lines += count
    wake()
  }

  const closeWith = (reason: DisconnectReason): void => {
    if (cutOff || close !== undefined) return
    close = reason
    wake()
  }

  const take = Effect.async<Batch>((resume) => {
    if (text !== "" || close !== undefined) return resume(Effect.succeed(drain()))
    waiting = resume
    return Effect.sync(() => {
      waiting = undefined
    })
  })

  return { write, close: closeWith, take }
}
