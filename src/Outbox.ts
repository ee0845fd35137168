/**
 * One client's outbox: the text waiting to be written, bounded in lines.
 *
 * A single producer (the connection's pump) appends; a single consumer (its
 * writer) takes everything at once. This is the hottest hand-off in the
 * server, once per recipient per event, so it is a string and a counter
 * rather than a queue of items, and waking the writer is one callback rather
 * than a `Deferred` (which costs an allocation of every effect method).
 */
import { Effect } from "effect"
import type { DisconnectReason } from "./Domain.js"
import type { Batch } from "./Event.js"

export interface Outbox {
  /**
   * Appends a batch. False when it would take the backlog past `maxLines`:
   * the client is too slow. A batch arriving at an empty outbox always fits.
   */
  readonly offer: (batch: Batch) => boolean
  /** Waits for text (or a close), then takes all of it. */
  readonly take: Effect.Effect<Batch>
  /** Marks `lines` as written: they no longer count against the bound. */
  readonly written: (lines: number) => void
}

export const make = (maxLines: number): Outbox => {
  let text = ""
  // Lines appended and not yet written, including the write under way.
  let lines = 0
  let pendingLines = 0
  let close: DisconnectReason | undefined
  let waiting: ((batch: Effect.Effect<Batch>) => void) | undefined

  const drain = (): Batch => {
    const batch: Batch = { text, lines: pendingLines, close }
    text = ""
    pendingLines = 0
    return batch
  }

  const offer = (batch: Batch): boolean => {
    if (lines > 0 && lines + batch.lines > maxLines) return false
    text += batch.text
    lines += batch.lines
    pendingLines += batch.lines
    if (batch.close !== undefined) close = batch.close
    const resume = waiting
    if (resume !== undefined) {
      waiting = undefined
      resume(Effect.succeed(drain()))
    }
    return true
  }

  const take = Effect.async<Batch>((resume) => {
    if (text !== "" || close !== undefined) return resume(Effect.succeed(drain()))
    waiting = resume
    return Effect.sync(() => {
      waiting = undefined
    })
  })

  const written = (count: number): void => {
    lines -= count
  }

  return { offer, take, written }
}
