/**
 * The node's connection limits, shared by all its listeners, whatever
 * protocol they speak:
 * - `--max-clients` open connections at most;
 * - `--max-per-address` from one client address (an IPv6 client: its /64),
 *   so that one person with a script cannot take every slot. Addresses in
 *   `--exempt-addresses` (loopback by default) are not counted.
 *
 * A connection is counted for exactly as long as the scope it is admitted
 * in lasts (the connection's own), however it ends (end of stream, reset,
 * quit, idle, too slow, shutdown): the count is given back by a finalizer of
 * that scope, never by the connection's own code. Plain counters, owned by
 * the service, touched synchronously.
 *
 * Refusals for too many connections from one address are logged at most
 * once a minute per address, with how many were refused since.
 */
import { Clock, Effect, Scope } from "effect"
import { ServerConfig } from "../ServerConfig.js"
import * as AddressRange from "./AddressRange.js"

/** Why a connection was refused: the `Reply` its protocol renders for it. */
export type Refusal = "ServerFull" | "TooManyFromAddress"

/** How often a refused address is logged at most. */
const reportEvery = 60_000
/**
 * Addresses remembered for that; past it, addresses not refused for a
 * minute are forgotten, and if all of them were, new ones go unlogged.
 */
const maxReported = 4096

interface Reported {
  readonly at: number
  refusedSince: number
}

export class Capacity extends Effect.Service<Capacity>()("chat/Capacity", {
  effect: Effect.gen(function*() {
    const config = yield* ServerConfig
    // Connections counted against `--max-clients`.
    let inUse = 0
    /** Open connections per counting key; a key with none is removed, so this is bounded by the connections. */
    const open = new Map<string, number>()
    const reported = new Map<string, Reported>()

    /** The key `address` is counted under; undefined when it is not limited. */
    const keyOf = (address: string | undefined): string | undefined =>
      address === undefined || AddressRange.isIn(config.exemptAddresses, address)
        ? undefined
        : AddressRange.countingKey(address)

    const take = (key: string): boolean => {
      const count = open.get(key) ?? 0
      if (count >= config.maxPerAddress) return false
      open.set(key, count + 1)
      return true
    }

    const giveBack = (key: string | undefined): void => {
      if (key === undefined) return
      const count = (open.get(key) ?? 1) - 1
      if (count > 0) open.set(key, count)
      else open.delete(key)
    }

    const report = (address: string, key: string): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const last = reported.get(key)
        if (last !== undefined && now - last.at < reportEvery) {
          last.refusedSince++
          return Effect.void
        }
        if (reported.size >= maxReported) {
          for (const [old, entry] of reported) if (now - entry.at >= reportEvery) reported.delete(old)
          if (reported.size >= maxReported) return Effect.void
        }
        reported.set(key, { at: now, refusedSince: 0 })
        const counted = key === address ? "" : ` (counted as ${key})`
        const since = last !== undefined && last.refusedSince > 0
          ? `; ${last.refusedSince} more refused since the last report`
          : ""
        return Effect.logWarning(
          `refused a connection from ${address}${counted}: ${config.maxPerAddress} already open` +
            ` (--max-per-address)${since}`
        )
      })

    return {
      /**
       * Runs `serve` if the node has a slot free and `address` (when the
       * socket layer knows it) has not reached its limit, counted until the
       * current scope closes; otherwise `refuse` with the reason, and the
       * result is undefined.
       */
      admit: <A, E, R>(
        serve: Effect.Effect<A, E, R | Scope.Scope>,
        refuse: (reason: Refusal) => Effect.Effect<void>,
        address?: string
      ): Effect.Effect<A | undefined, E, R | Scope.Scope> =>
        Effect.suspend(() => {
          const key = keyOf(address)
          if (key !== undefined && address !== undefined && !take(key)) {
            return Effect.zipRight(report(address, key), refuse("TooManyFromAddress")).pipe(Effect.as(undefined))
          }
          if (inUse >= config.maxClients) {
            giveBack(key)
            return refuse("ServerFull").pipe(Effect.as(undefined))
          }
          inUse++
          // A finalizer of the scope itself, not `Effect.addFinalizer`: that one keeps a copy of the fiber's state.
          const release = Effect.sync(() => {
            inUse--
            giveBack(key)
          })
          return Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, release)).pipe(
            Effect.zipRight(serve)
          )
        }),
      /** Connections open from `address` as counted for its limit (0 for an exempt one): for tests and operators. */
      openFrom: (address: string): Effect.Effect<number> =>
        Effect.sync(() => {
          const key = keyOf(address)
          return key === undefined ? 0 : open.get(key) ?? 0
        })
    } as const
  })
}) {}
