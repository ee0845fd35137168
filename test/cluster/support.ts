/**
 * What the cluster tests over TCP share: one redis-server per test file, a
 * fresh cluster name per test (a key prefix, so tests never see each
 * other's nicks), real `chat serve --redis` nodes, and named clients.
 */
import { LineClient } from "../support/LineClient.js"
import type { Joined } from "../support/LineClient.js"
import type { RedisServer } from "../support/RedisServer.js"
import type { ServerProcess } from "../support/ServerProcess.js"
import { startServer } from "../support/ServerProcess.js"

let clusters = 0

/** A name no other test of this process uses. */
export const freshCluster = (): string => `t${process.pid}x${++clusters}`

/** A node of `cluster` on `redis`: it has logged `joined cluster` when this resolves. */
export const startNode = async (
  redis: RedisServer,
  cluster: string,
  args: ReadonlyArray<string> = [],
  options: { readonly port?: number } = {}
): Promise<ServerProcess> => {
  const node = await startServer(["--redis", redis.url, "--cluster", cluster, "--rate", "0", ...args], options)
  const deadline = performance.now() + 5_000
  while (!node.stderr().includes(`joined cluster ${cluster} as node`)) {
    if (performance.now() > deadline) throw new Error(`no "joined cluster" line:\n${node.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return node
}

/** A client on `node` that has taken `nick` (and read everything up to that). */
export const named = async (
  node: ServerProcess,
  nick: string
): Promise<LineClient & Joined & { readonly answer: string }> => {
  const client = await LineClient.join(node.port, { name: nick })
  client.send(`/nick ${nick}`)
  const answer = (await client.until((line) => line === `*** you are now ${nick}` || line.startsWith("! "))).at(-1)!
  return Object.assign(client, { nick, answer })
}

/** Waits for `line`, ignoring others, and returns every line before it. */
export const waitFor = (client: LineClient, line: string, ms = 10_000): Promise<Array<string>> =>
  client.until((received) => received === line, ms)
