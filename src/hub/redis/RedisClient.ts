/**
 * The Redis connections of one node, as scoped resources: one for commands
 * (the transitions' scripts), one subscribed to the cluster's wake-ups.
 * Every command here has a timeout and fails with a `BackplaneError`, so a
 * caller always has an answer to give its user.
 *
 * Nothing waits for Redis without a bound: a command given while the
 * connection is down fails at once (no offline queue, which would grow with
 * every line sent during an outage), and past `maxInFlight` commands awaiting
 * an answer (Redis paused or frozen) a new one fails at once too. The
 * timeout is ioredis's own (`commandTimeout`): a timer per command, where an
 * Effect timeout would race a fiber against each one.
 */
import { Duration, Effect } from "effect"
import type { Scope } from "effect"
import { Redis } from "ioredis"
import type { RedisOptions } from "ioredis"
import { createHash } from "node:crypto"
import { BackplaneError } from "../Backplane.js"

/** A script's answer as Redis gives it: strings, numbers, nested arrays. */
export type Reply = string | number | null | ReadonlyArray<Reply>

export interface RedisClient {
  readonly redis: Redis
  /** Runs a script (by its SHA, or its text when Redis does not know it yet). */
  readonly run: (script: string, args: ReadonlyArray<string | number>) => Effect.Effect<Reply, BackplaneError>
  /** Subscribes the connection to a channel (it then takes no other command). */
  readonly subscribe: (channel: string) => Effect.Effect<void, BackplaneError>
  /** Any other command, with the same timeout. */
  readonly call: (command: string, args: ReadonlyArray<string | number>) => Effect.Effect<Reply, BackplaneError>
}

/** Commands sent and not yet answered, past which a new one is refused rather than queued. */
const maxInFlight = 10_000

const options = (timeout: Duration.Duration): RedisOptions => ({
  // The timeout answers the user; the client keeps trying to reconnect
  // meanwhile, quickly, so a short outage costs a short wait.
  maxRetriesPerRequest: null,
  retryStrategy: () => 100,
  connectTimeout: Duration.toMillis(timeout),
  commandTimeout: Duration.toMillis(timeout),
  // Down: refused at once (the user hears "not delivered"), never queued.
  // Commands already sent when a connection drops are re-sent on reconnect;
  // the scripts answer a repeat from the operation's stored answer.
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  lazyConnect: true
})

/** Keeps a failed command's error as it came. */
const rethrow = (error: unknown): Promise<Reply> =>
  Promise.reject(error instanceof Error ? error : new Error(String(error)))

/** ioredis's message for a command past `commandTimeout`. */
const timedOut = "Command timed out"

const failure = (cause: unknown): BackplaneError =>
  new BackplaneError({
    reason: cause instanceof Error && cause.message === timedOut ? "Timeout" : "Unavailable",
    cause
  })

const busy = new BackplaneError({ reason: "Unavailable", cause: `over ${maxInFlight} commands awaiting Redis` })

/** Opens a connection for the life of the scope; fails if Redis cannot be reached within `timeout`. */
export const connect = (
  url: string,
  timeout: Duration.Duration,
  name: string
): Effect.Effect<RedisClient, BackplaneError, Scope.Scope> =>
  Effect.gen(function*() {
    const redis = yield* Effect.acquireRelease(
      Effect.sync(() => new Redis(url, { ...options(timeout), connectionName: name })),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    // Errors are reported through the commands that fail; without a listener
    // ioredis would print each reconnect attempt's error.
    redis.on("error", () => undefined)
    yield* Effect.tryPromise({ try: () => redis.connect(), catch: failure }).pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new BackplaneError({ reason: "Timeout" }) })
    )
    const shas = new Map<string, string>()
    const shaOf = (script: string): string => {
      let sha = shas.get(script)
      if (sha === undefined) {
        sha = createHash("sha1").update(script).digest("hex")
        shas.set(script, sha)
      }
      return sha
    }
    // Interruptible even where the caller is not (a connection's registration
    // is the acquire of a resource). ioredis times each command out itself.
    const bounded = <A>(effect: Effect.Effect<A, BackplaneError>) =>
      Effect.suspend(() => redis.commandQueue.length >= maxInFlight ? Effect.fail(busy) : effect).pipe(
        Effect.interruptible
      )
    const call = (command: string, args: ReadonlyArray<string | number>) =>
      bounded(Effect.tryPromise({ try: () => redis.call(command, ...args) as Promise<Reply>, catch: failure }))
    const run = (script: string, args: ReadonlyArray<string | number>) =>
      bounded(
        Effect.tryPromise({
          try: () =>
            (redis.evalsha(shaOf(script), 0, ...args) as Promise<Reply>).catch((error: unknown) =>
              // Redis restarted or never saw it: the text once, then the SHA again.
              String(error).includes("NOSCRIPT")
                ? redis.eval(script, 0, ...args) as Promise<Reply>
                : rethrow(error)
            ),
          catch: failure
        })
      )
    const subscribe = (channel: string) =>
      bounded(Effect.tryPromise({ try: () => redis.subscribe(channel), catch: failure })).pipe(Effect.asVoid)
    return { redis, run, call, subscribe }
  })
