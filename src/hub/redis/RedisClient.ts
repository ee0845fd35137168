/**
 * The Redis connections of one node, as scoped resources: one for commands
 * (the transitions' scripts), one subscribed to the cluster's wake-ups.
 * Every command here has a timeout and fails with a `BackplaneError`, so a
 * caller always has an answer to give its user.
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

const options = (timeout: Duration.Duration): RedisOptions => ({
  // Our own timeout answers the user; the client keeps trying to reconnect
  // meanwhile, quickly, so a short outage costs a short wait.
  maxRetriesPerRequest: null,
  retryStrategy: () => 100,
  connectTimeout: Duration.toMillis(timeout),
  enableAutoPipelining: true,
  lazyConnect: true
})

/** Keeps a failed command's error as it came. */
const rethrow = (error: unknown): Promise<Reply> =>
  Promise.reject(error instanceof Error ? error : new Error(String(error)))

const failure = (cause: unknown): BackplaneError => new BackplaneError({ reason: "Unavailable", cause })

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
    // is the acquire of a resource): otherwise the timeout would wait for Redis.
    const withTimeout = <A>(effect: Effect.Effect<A, BackplaneError>) =>
      effect.pipe(
        Effect.interruptible,
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new BackplaneError({ reason: "Timeout" }) })
      )
    const call = (command: string, args: ReadonlyArray<string | number>) =>
      withTimeout(Effect.tryPromise({ try: () => redis.call(command, ...args) as Promise<Reply>, catch: failure }))
    const run = (script: string, args: ReadonlyArray<string | number>) =>
      withTimeout(
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
      withTimeout(Effect.tryPromise({ try: () => redis.subscribe(channel), catch: failure })).pipe(Effect.asVoid)
    return { redis, run, call, subscribe }
  })
