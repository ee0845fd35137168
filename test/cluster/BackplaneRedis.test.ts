/** The Redis backplane keeps the backplane contract, on a real redis-server. */
import { afterAll, beforeAll } from "@effect/vitest"
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
