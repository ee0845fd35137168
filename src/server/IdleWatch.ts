/**
 * The idle deadlines of a listener's connections, kept by one fiber for all
 * of them rather than a sleeping fiber per connection.
 *
 * Measured, a parked fiber is several kilobytes of an idle connection's
 * memory (see the README's Performance section); a deadline here is one
 * small entry in a heap. Time is the `Clock`'s, so the `TestClock` drives it
 * in tests like everything else.
 *
 * A watched connection says, each time it is due, when it is next due (its
 * last line moved its deadline; a keep-alive ping comes before the
 * deadline), or that it is done.
 */
import type { Scope } from "effect"
import { Clock, Deferred, Effect, Exit, FiberId } from "effect"

export interface Watched {
  /** Called at (or just after) the time it asked for; the next time to be called, or undefined when done. */
  readonly due: (now: number) => number | undefined
}

export interface IdleWatch {
  /** Calls `watched.due` from `firstAt` on; the function returned stops it. */
  readonly watch: (firstAt: number, watched: Watched) => () => void
  /** Connections watched now (for tests). */
  readonly size: () => number
}

/**
 * A watched connection's place in the heap. A stopped entry stays in the
 * heap until its time comes, but lets go of the connection at once: a storm
 * of short connections must not keep each one's state alive until then.
 */
interface Entry {
  at: number
  watched: Watched | undefined
}

/** A binary min-heap of entries by `at`. */
const heap = () => {
  const items: Array<Entry> = []
  const swap = (i: number, j: number): void => {
    const item = items[i]!
    items[i] = items[j]!
    items[j] = item
  }
  const up = (from: number): void => {
    let i = from
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.at <= items[i]!.at) return
      swap(i, parent)
      i = parent
    }
  }
  const down = (from: number): void => {
    let i = from
    while (true) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < items.length && items[left]!.at < items[least]!.at) least = left
      if (right < items.length && items[right]!.at < items[least]!.at) least = right
      if (least === i) return
      swap(i, least)
      i = least
    }
  }
  return {
    clear: (): void => {
      items.length = 0
    },
    size: () => items.length,
    peek: (): Entry | undefined => items[0],
    push: (entry: Entry): void => {
      items.push(entry)
      up(items.length - 1)
    },
    pop: (): Entry | undefined => {
      const top = items[0]
      const last = items.pop()
      if (top !== undefined && last !== undefined && items.length > 0) {
        items[0] = last
        down(0)
      }
      return top
    }
  }
}

/** An idle watch whose fiber lives as long as the scope. */
export const make: Effect.Effect<IdleWatch, never, Scope.Scope> = Effect.gen(function*() {
  const entries = heap()
  let watching = 0
  // Completed when an entry arrives that is due before the fiber would wake.
  let earlier = Deferred.unsafeMake<void>(FiberId.none)
  let wakeAt = Number.POSITIVE_INFINITY

  const stop = (entry: Entry): void => {
    if (entry.watched === undefined) return
    entry.watched = undefined
    watching--
    // With nobody left to watch, nothing stays scheduled: the fiber goes back to waiting for an entry.
    if (watching === 0) {
      entries.clear()
      Deferred.unsafeDone(earlier, Exit.void)
    }
  }

  /**
   * Calls what is due, or waits for the first deadline (or for an earlier
   * one to arrive). Looking at the heap and arming `earlier` happen in one
   * synchronous step, so no entry can slip in between unseen.
   */
  const step = (now: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      const next = entries.peek()
      if (next === undefined || next.at > now) {
        wakeAt = next?.at ?? Number.POSITIVE_INFINITY
        earlier = Deferred.unsafeMake<void>(FiberId.none)
        return next === undefined
          ? Deferred.await(earlier)
          : Effect.raceFirst(Effect.sleep(next.at - now), Deferred.await(earlier))
      }
      entries.pop()
      if (next.watched === undefined) return Effect.void
      const again = next.watched.due(now)
      if (again === undefined) {
        stop(next)
      } else {
        next.at = again
        entries.push(next)
      }
      return Effect.void
    })
  const sweep = Clock.currentTimeMillis.pipe(Effect.flatMap(step), Effect.forever)
  yield* Effect.forkScoped(sweep)

  return {
    watch: (firstAt, watched) => {
      const entry: Entry = { at: firstAt, watched }
      entries.push(entry)
      watching++
      if (firstAt < wakeAt) Deferred.unsafeDone(earlier, Exit.void)
      return () => stop(entry)
    },
    size: () => watching
  }
})
