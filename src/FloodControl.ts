/**
 * Flood control: a token bucket per connection that delays lines, never drops
 * them. While a line waits for its token the connection reads nothing more,
 * so over TCP the sender's stream is slowed by the kernel's flow control.
 */
import { Clock, Effect, Ref } from "effect"

export interface Bucket {
  /** Tokens available; below zero while a line is waiting for its token. */
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

/**
 * Takes one token at time `now`. Returns how many milliseconds the line must
 * wait for it (0: none) and the bucket after the take.
 */
export const take = (bucket: Bucket, now: number, policy: Policy): readonly [number, Bucket] => {
  const refilled = Math.min(policy.burst, bucket.tokens + ((now - bucket.at) * policy.rate) / 1000)
  const tokens = refilled - 1
  const wait = tokens >= 0 ? 0 : (-tokens * 1000) / policy.rate
  return [wait, { tokens, at: now }]
}

/** An effect to run before each line: it waits, by the `Clock`, for the line's token. */
export const make = (policy: Policy): Effect.Effect<Effect.Effect<void>> =>
  policy.rate <= 0
    ? Effect.succeed(Effect.void)
    : Effect.gen(function*() {
      const bucket = yield* Ref.make(full(policy, yield* Clock.currentTimeMillis))
      return Clock.currentTimeMillis.pipe(
        Effect.flatMap((now) => Ref.modify(bucket, (current) => take(current, now, policy))),
        Effect.flatMap((wait) => wait > 0 ? Effect.sleep(wait) : Effect.void)
      )
    })
