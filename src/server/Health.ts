/**
 * Whether this node can serve its users, for `GET /healthz` and the
 * operators' load balancers. A node that accepts connections is healthy by
 * default; a backplane that can fail (Redis, in a cluster) provides its own
 * `Health` so the node reads unhealthy (503) while it cannot reach it:
 *
 *   Layer.succeed(Health, { check: redis.ping.pipe(Effect.as(Health.healthy), ...) })
 */
import { Context, Effect } from "effect"

export interface Status {
  readonly healthy: boolean
  /** Why, in a few words: `ok`, `redis unreachable`. */
  readonly detail: string
}

export const healthy: Status = { healthy: true, detail: "ok" }
export const unhealthy = (detail: string): Status => ({ healthy: false, detail })

export interface HealthShape {
  /** Asked on every `GET /healthz`: keep it quick. */
  readonly check: Effect.Effect<Status>
}

/** Always healthy unless a backplane provides its own check. */
export class Health extends Context.Reference<Health>()("chat/Health", {
  defaultValue: (): HealthShape => ({ check: Effect.succeed(healthy) })
}) {}
