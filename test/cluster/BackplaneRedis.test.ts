/** The Redis backplane keeps the backplane contract, on a real redis-server. */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Context, Effect, Either, Layer } from "effect"
import { Command } from "../../src/domain/Command.js"
import type { Nick, RoomName } from "../../src/domain/Domain.js"
import { Backplane } from "../../src/hub/Backplane.js"
import * as RedisBackplane from "../../src/hub/RedisBackplane.js"
import { backplaneContract } from "../hub/BackplaneContract.js"
import type { RedisServer } from "../support/RedisServer.js"
import { startRedis } from "../support/RedisServer.js"

let redis: RedisServer | undefined
let chats = 0

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

// Each test a chat of its own: a fresh key prefix on the one Redis.
backplaneContract(
  "redis",
  (history) => RedisBackplane.layer({ url: redis!.url, cluster: `contract${++chats}`, history })
)

describe("redis backplane: a command its scripts do not know", () => {
  it.scopedLive("is refused as not delivered, before anything of the batch changed", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(
        RedisBackplane.layer({ url: redis!.url, cluster: `unknown${++chats}`, history: 50 })
      )
      const bp = Context.get(context, Backplane)
      const events = yield* bp.subscribe
      const client = yield* bp.allocateId
      yield* bp.connect({ client, nick: "alice" as Nick, room: "lobby" as RoomName })
      // A command from a newer build than the scripts: forged, as the types allow none.
      const frob = Either.right({ _tag: "Frob" } as unknown as Command)
      const refused = yield* Effect.flip(bp.execute(client, [Either.right(Command.Say({ text: "before" })), frob]))
      assert.deepStrictEqual([refused._tag, refused.reason, refused.cause], [
        "BackplaneError",
        "Unavailable",
        "unknown command Frob"
      ])
      yield* bp.execute(client, [Either.right(Command.Say({ text: "after" }))])
      const said: Array<string> = []
      while (said.length === 0) {
        for (const batch of yield* events.takeAll) {
          for (const event of batch) if (event._tag === "Said") said.push(`${event.seq} ${event.text}`)
        }
      }
      // Joined was 1: "before" never took a number.
      assert.deepStrictEqual(said, ["2 after"])
    }))
})
