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
import type { DisconnectReason } from "../domain/Domain.js"
import type { Sink } from "../domain/Event.js"
import type { DirectWrite } from "../socket/DirectWrite.js"

/** What the writer takes at once: written together, counted in lines. */
export interface Batch {
  readonly _tag: "Batch"
  readonly text: string
  readonly lines: number
  /** Set once everything for the client has been taken: end the connection with this reason. */
  readonly close: DisconnectReason | undefined
}

/** The writer's next step: a batch to write, or (with a direct write) waiting for a full socket to drain. */
export type Step = Batch | { readonly _tag: "Drain" }

const drainStep: Step = { _tag: "Drain" }

export interface Outbox extends Sink {
  /**
   * For the writer: its next step, taken now. `undefined` when there is
   * nothing to do: the writer stops there, and the outbox calls
   * `startWriter` again when there is.
   */
  readonly next: () => Step | undefined
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

export interface Options {
  /** Most lines waiting for the writer; past it the client is too slow. */
  readonly maxLines: number
  /** Called once when the client is cut off for being too slow. */
  readonly onTooSlow: () => void
  /**
   * Called when the writer has something to do and is not running: run it
   * (a fiber that takes `next` until `undefined`). The connection runs it
   * only then, so an idle client holds no writer fiber.
   */
  readonly startWriter: () => void
  readonly direct?: DirectWrite | undefined
  readonly observer?: Observer | undefined
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
 * With `direct`, text arriving while the writer is not running goes
 * straight to the socket, with no fiber at all; the writer runs only to wait
 * for a full socket to drain, and meanwhile text gathers here as without it.
 */
export const make = (options: Options): Outbox => {
  const { direct, maxLines, observer } = options
  let text = ""
  // Lines in `text`.
  let lines = 0
  let close: DisconnectReason | undefined
  let cutOff = false
  // A writer is running (or about to): text waits here for it.
  let writing = false
  // The writer must first wait for the socket to drain.
  let mustDrain = false

  const wake = (): void => {
    if (writing) return
    writing = true
    options.startWriter()
  }

  const write = (line: string, count: number, canWait = false): void => {
    if (cutOff || close !== undefined) return
    if (direct !== undefined && !writing) {
      switch (direct.write(line, canWait)) {
        case "ok":
          observer?.delivered(count)
          return
        case "full":
          observer?.delivered(count)
          mustDrain = true
          return wake()
        case "closed":
          // Taken the usual way, so that the writer fails with the socket's own error.
          break
      }
    }
    if (lines > 0 && lines + count > maxLines) {
      cutOff = true
      return options.onTooSlow()
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

  const next = (): Step | undefined => {
    if (mustDrain) {
      mustDrain = false
      return drainStep
    }
    if (text === "" && close === undefined) {
      writing = false
      return undefined
    }
    const batch: Batch = { _tag: "Batch", text, lines, close }
    if (lines > 0) observer?.backlog(-lines)
    text = ""
    lines = 0
    return batch
  }

  return { write, close: closeWith, next, backlog: () => lines }
}
