/**
 * Flood control: a token bucket per connection that delays lines, never drops
 * them. While lines wait for tokens the connection reads nothing more, so
 * over TCP the sender's stream is slowed by the kernel's flow control.
 *
 * Lines are admitted in groups (as many as there are tokens), so a burst read
 * in one chunk is handled as one batch, while lines past the burst still come
 * one token, 1/rate seconds, apart.
 */
import { Clock, Effect, Ref } from "effect"

export interface Bucket {
  /** Tokens available, fractional while refilling. */
  readonly tokens: number
  /** When `tokens` was last brought up to date, in milliseconds. */
  readonly at: number
}

export interface Policy {
  /** Tokens added per second (0: no limit). */
  readonly rate: number
  /** Most tokens the bucket holds: the lines that may arrive at once. */
  readonly burst: number
}

export const full = (policy: Policy, now: number): Bucket => ({ tokens: policy.burst, at: now })

export interface Grant {
  /** Lines admitted now: at least 1 when any token is available, never more than wanted. */
  readonly granted: number
  /** When nothing was granted, milliseconds until the next token. */
  readonly wait: number
  readonly bucket: Bucket
}

/** Takes up to `wanted` whole tokens at time `now`. */
export const grant = (bucket: Bucket, now: number, policy: Policy, wanted: number): Grant => {
  const tokens = Math.min(policy.burst, bucket.tokens + ((now - bucket.at) * policy.rate) / 1000)
  if (tokens >= 1) {
    const granted = Math.min(wanted, Math.floor(tokens))
    return { granted, wait: 0, bucket: { tokens: tokens - granted, at: now } }
  }
  return { granted: 0, wait: ((1 - tokens) * 1000) / policy.rate, bucket: { tokens, at: now } }
}

/**
 * Makes a connection's bucket, full. Its `admit(n)` waits, by the `Clock`,
 * until at least one line may go, and returns how many of the `n` may go now.
 * `cancelWait`, if it fails while `admit` waits, ends the wait with its
 * error (the connection is gone); lines that need no wait never race it.
 * `onDelayed(n)`: `n` lines were admitted only after a wait (for metrics).
 */
export const make = <E = never>(
  policy: Policy,
  cancelWait?: Effect.Effect<never, E>,
  onDelayed?: (lines: number) => void
): Effect.Effect<(wanted: number) => Effect.Effect<number, E>> =>
  policy.rate <= 0
    ? Effect.succeed(Effect.succeed)
    : Effect.gen(function*() {
      const bucket = yield* Ref.make(full(policy, yield* Clock.currentTimeMillis))
      const sleep = (millis: number): Effect.Effect<void, E> =>
        cancelWait === undefined ? Effect.sleep(millis) : Effect.raceFirst(Effect.sleep(millis), cancelWait)
      const admit = (wanted: number, waited = false): Effect.Effect<number, E> =>
        Clock.currentTimeMillis.pipe(
          Effect.flatMap((now) =>
            Ref.modify(bucket, (current) => {
              const result = grant(current, now, policy, wanted)
              return [result, result.bucket]
            })
          ),
          Effect.flatMap((result) => {
            if (result.granted > 0) {
              if (waited) onDelayed?.(result.granted)
              return Effect.succeed(result.granted)
            }
            return sleep(result.wait).pipe(Effect.zipRight(Effect.suspend(() => admit(wanted, true))))
          })
        )
      return (wanted: number) => admit(wanted)
    })
