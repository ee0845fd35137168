/**
 * `GET /healthz` of a cluster node: 200 while it reaches Redis, 503 while it
 * cannot (Redis frozen with SIGSTOP), 200 again once Redis is back.
 */
import * as Http from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import type { RedisServer } from "../support/RedisServer.js"
import { hasRedis, startRedis } from "../support/RedisServer.js"
import { waitForLog } from "../support/ServerLog.js"
import { stopAllProcesses } from "../support/ServerProcess.js"
import { freshCluster, startNode } from "./support.js"

let redis: RedisServer

beforeAll(async () => {
  if (hasRedis) redis = await startRedis()
})
afterAll(async () => {
  await stopAllProcesses()
  await redis?.stop()
})

const healthz = (port: number): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    Http.get({ host: "127.0.0.1", port, path: "/healthz", timeout: 2_000 }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        body += chunk
      })
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: body.trim() }))
    }).on("error", reject)
  })

/** Asks `/healthz` until it answers `status`, for at most `ms`; returns that answer. */
const until = async (port: number, status: number, ms = 10_000) => {
  const deadline = performance.now() + ms
  while (true) {
    const answer = await healthz(port)
    if (answer.status === status || performance.now() > deadline) return answer
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.skipIf(!hasRedis)("/healthz in a cluster", () => {
  it("reads 503 while the node cannot reach Redis, and 200 again once it can", async () => {
    const node = await startNode(redis, freshCluster(), ["--http-port", "0", "--cluster-timeout", "3s"])
    const port = Number((await waitForLog(node, /web chat on http:\/\/127\.0\.0\.1:(\d+)\//))[1])
    assert.deepStrictEqual(await healthz(port), { status: 200, body: "ok" })

    redis.signal("SIGSTOP")
    const down = await until(port, 503).finally(() => redis.signal("SIGCONT"))
    assert.deepStrictEqual(down, { status: 503, body: "redis unreachable" })

    assert.strictEqual((await until(port, 200)).status, 200)
  })
})
