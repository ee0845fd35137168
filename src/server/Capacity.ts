/**
 * The node's connection limit, shared by all its listeners: `--max-clients`
 * open connections at most, whatever protocol they speak.
 */
import { Effect } from "effect"
import { ServerConfig } from "../ServerConfig.js"

export class Capacity extends Effect.Service<Capacity>()("chat/Capacity", {
  effect: Effect.gen(function*() {
    const config = yield* ServerConfig
    const slots = yield* Effect.makeSemaphore(config.maxClients)
    return {
      /** Runs `serve` in a slot if one is free; otherwise `refuse`. */
      admit: <R>(serve: Effect.Effect<void, never, R>, refuse: Effect.Effect<void>): Effect.Effect<void, never, R> =>
        serve.pipe(
          slots.withPermitsIfAvailable(1),
          Effect.flatMap((served) => served._tag === "None" ? refuse : Effect.void)
        )
    } as const
  })
}) {}
