import { assert, describe, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Deferred, Effect, Either, Exit, Fiber, Layer, Logger, TestClock } from "effect"
import { Capacity } from "../../src/server/Capacity.js"
import * as ServerConfig from "../../src/ServerConfig.js"

/** A Capacity over `options`, and what it logged. */
const capacity = (options: ServerConfig.ServerOptions) => {
  const logs: Array<string> = []
  const config = Either.getOrThrow(ServerConfig.make(options))
  const layer = Capacity.Default.pipe(Layer.provide(Layer.succeed(ServerConfig.ServerConfig, config)))
  const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logs.push(String(message))))
  return {
    logs,
    provide: <A, E, R>(self: Effect.Effect<A, E, R>) => self.pipe(Effect.provide(layer), Effect.provide(logger))
  }
}

/** A connection held open until `end` is done; `refused` says why it was not served, if it was not. */
const connection = (address: string | undefined): Effect.Effect<
  {
    readonly end: Deferred.Deferred<void>
    readonly served: Deferred.Deferred<void>
    readonly refused: Deferred.Deferred<string>
    readonly fiber: Fiber.RuntimeFiber<void>
  },
  never,
  Capacity | Scope.Scope
> =>
  Effect.gen(function*() {
    const capacity = yield* Capacity
    const end = yield* Deferred.make<void>()
    const served = yield* Deferred.make<void>()
    const refused = yield* Deferred.make<string>()
    const serve = Deferred.succeed(served, undefined).pipe(Effect.zipRight(Deferred.await(end)))
    // The connection's own scope: counted until it closes.
    const fiber = yield* capacity.admit(serve, (reason) => Deferred.succeed(refused, reason), address).pipe(
      Effect.scoped,
      Effect.asVoid,
      Effect.forkScoped
    )
    yield* Effect.raceFirst(Deferred.await(served), Deferred.await(refused))
    return { end, served, refused, fiber }
  })

const refusal = (c: { readonly refused: Deferred.Deferred<string> }) =>
  Deferred.poll(c.refused).pipe(Effect.flatMap((poll) => poll._tag === "None" ? Effect.succeed("served") : poll.value))

describe("Capacity per address", () => {
  it.scoped("refuses past --max-per-address, per address; gives the count back however a connection ends", () => {
    const { logs, provide } = capacity({ maxPerAddress: 2, exemptAddresses: "" })
    return provide(Effect.gen(function*() {
      const capacity = yield* Capacity
      const a = yield* connection("192.0.2.1")
      const b = yield* connection("::ffff:192.0.2.1")
      const c = yield* connection("192.0.2.1")
      const other = yield* connection("192.0.2.2")
      assert.deepStrictEqual(
        yield* Effect.all([refusal(a), refusal(b), refusal(c), refusal(other)]),
        ["served", "served", "TooManyFromAddress", "served"]
      )
      assert.strictEqual(yield* capacity.openFrom("192.0.2.1"), 2)

      // One ends on its own, the other is interrupted (a shutdown): both counts come back.
      yield* Deferred.succeed(a.end, undefined)
      yield* Fiber.await(a.fiber)
      assert.strictEqual(yield* capacity.openFrom("192.0.2.1"), 1)
      yield* Fiber.interrupt(b.fiber)
      assert.strictEqual(yield* capacity.openFrom("192.0.2.1"), 0)
      assert.strictEqual(yield* refusal(yield* connection("192.0.2.1")), "served")
      assert.deepStrictEqual(logs, ["refused a connection from 192.0.2.1: 2 already open (--max-per-address)"])
    }))
  })

  it.scoped("logs a refused address at most once a minute, with how many were refused meanwhile", () => {
    const { logs, provide } = capacity({ maxPerAddress: 1, exemptAddresses: [] })
    return provide(Effect.gen(function*() {
      yield* connection("2001:db8::1")
      // The same /64: refused, logged once.
      for (let i = 0; i < 3; i++) {
        assert.strictEqual(yield* refusal(yield* connection("2001:db8::2")), "TooManyFromAddress")
      }
      assert.deepStrictEqual(logs, [
        "refused a connection from 2001:db8::2 (counted as 2001:db8::/64): 1 already open (--max-per-address)"
      ])
      yield* TestClock.adjust("59 seconds")
      yield* connection("2001:db8::3")
      assert.strictEqual(logs.length, 1)
      yield* TestClock.adjust("1 second")
      yield* connection("2001:db8::3")
      assert.deepStrictEqual(logs.slice(1), [
        "refused a connection from 2001:db8::3 (counted as 2001:db8::/64): 1 already open (--max-per-address)" +
        "; 3 more refused since the last report"
      ])
      // Another /64 is another client.
      assert.strictEqual(yield* refusal(yield* connection("2001:db8:0:1::1")), "served")
    }))
  })

  it.scoped("exempts the listed ranges (loopback by default) and sockets without an address", () => {
    const { logs, provide } = capacity({ maxPerAddress: 1 })
    return provide(Effect.gen(function*() {
      const capacity = yield* Capacity
      for (const address of ["127.0.0.1", "127.0.0.1", "::1", "::1", undefined, undefined]) {
        assert.strictEqual(yield* refusal(yield* connection(address)), "served")
      }
      assert.strictEqual(yield* capacity.openFrom("127.0.0.1"), 0)
      assert.deepStrictEqual(logs, [])
    }))
  })

  it.scoped("a refusal for a full server gives the address's count back", () => {
    const { provide } = capacity({ maxClients: 1, maxPerAddress: 5, exemptAddresses: "" })
    return provide(Effect.gen(function*() {
      const capacity = yield* Capacity
      yield* connection("192.0.2.1")
      const full = yield* connection("192.0.2.1")
      assert.strictEqual(yield* refusal(full), "ServerFull")
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(full.fiber)))
      assert.strictEqual(yield* capacity.openFrom("192.0.2.1"), 1)
    }))
  })
})
