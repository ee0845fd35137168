/**
 * The cluster benchmark: the light-rate and flood scenarios of bench/run.ts
 * against one `chat serve` alone, then against two nodes on one Redis with
 * the clients spread over both (client i on node i mod 2, senders on both),
 * alternating, several times; one table of medians. A third setup, one node
 * on Redis, tells the backplane's own cost apart from that of splitting the
 * clients over two processes (on a 2-core machine, they compete for it).
 *
 *   npm run build && node --import tsx bench/cluster.ts [--repeats 3]
 *
 * CPU per delivery counts every process of the setup (each node, and Redis
 * for the cluster), read from /proc/PID/stat around the sending phase. Redis
 * CPU per room event says how far one Redis carries. Run it by hand on a
 * quiet machine; it is not a test.
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { run as load } from "./load.js"
import { cpuMillis, startRedis, waitForLine } from "./proc.js"

interface Scenario {
  readonly name: string
  readonly clients: number
  readonly senders: number
  readonly messages: number
  readonly rate: number
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "light", clients: 100, senders: 10, messages: 250, rate: 50 },
  { name: "flood", clients: 100, senders: 10, messages: 1000, rate: 0 }
]

const at = process.argv.indexOf("--repeats")
const repeats = at === -1 ? 3 : Number(process.argv[at + 1])
const root = fileURLToPath(new URL("..", import.meta.url))

const startNode = async (extra: ReadonlyArray<string>): Promise<{ child: ChildProcess; port: number }> => {
  const args = ["bin/chat.js", "serve", "--port", "0", "--rate", "0", "--max-queue", "200000", ...extra]
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] })
  const match = await waitForLine(
    child,
    "stderr",
    extra.length > 0 ? /listening on [^:\s]+:(\d+)[\s\S]*joined cluster/ : /listening on [^:\s]+:(\d+)/
  )
  return { child, port: Number(match[1]) }
}

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

interface Figures {
  readonly cpuPerDeliveryUs: number
  readonly nodeCpuPerDeliveryUs: number
  readonly redisCpuPerEventUs: number
  readonly deliveriesPerSecond: number
  readonly p50: number
  readonly p99: number
  readonly lost: number
}

type Setup = "single" | "redis1" | "cluster"
const setups: ReadonlyArray<Setup> = ["single", "redis1", "cluster"]
const labels: Record<Setup, string> = { single: "1 node", redis1: "1 node + Redis", cluster: "2 nodes + Redis" }

const measure = async (scenario: Scenario, setup: Setup): Promise<Figures> => {
  const redis = setup === "single" ? undefined : await startRedis()
  const nodes = []
  for (let i = 0; i < (setup === "cluster" ? 2 : 1); i++) {
    nodes.push(await startNode(redis === undefined ? [] : ["--redis", redis.url]))
  }
  const pids = nodes.map((node) => node.child.pid!)
  try {
    await new Promise((resolve) => setTimeout(resolve, 300))
    let node0 = 0
    let redis0 = 0
    const result = await load({
      host: "127.0.0.1",
      port: nodes[0]!.port,
      ports: nodes.map((node) => node.port),
      clients: scenario.clients,
      senders: scenario.senders,
      messages: scenario.messages,
      rate: scenario.rate,
      connectConcurrency: 50,
      stallMillis: 20_000,
      onJoined: () => {
        node0 = pids.reduce((sum, pid) => sum + cpuMillis(pid), 0)
        redis0 = redis === undefined ? 0 : cpuMillis(redis.child.pid!)
      }
    })
    const nodeCpu = pids.reduce((sum, pid) => sum + cpuMillis(pid), 0) - node0
    const redisCpu = redis === undefined ? 0 : cpuMillis(redis.child.pid!) - redis0
    const events = scenario.senders * scenario.messages
    return {
      cpuPerDeliveryUs: ((nodeCpu + redisCpu) * 1000) / result.delivered,
      nodeCpuPerDeliveryUs: (nodeCpu * 1000) / result.delivered,
      redisCpuPerEventUs: (redisCpu * 1000) / events,
      deliveriesPerSecond: result.deliveriesPerSecond,
      p50: result.latencyP50,
      p99: result.latencyP99,
      lost: result.lost + result.duplicates + result.reordered
    }
  } finally {
    for (const node of nodes) await stop(node.child)
    if (redis !== undefined) await stop(redis.child)
  }
}

const median = (values: ReadonlyArray<number>): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const format = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2))

process.stdout.write(
  "| scenario | setup | CPU µs/delivery (all) | nodes µs/delivery | Redis µs/room event | deliveries/s | p50 ms | p99 ms | lost+dup+reordered |\n" +
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
)
for (const scenario of scenarios) {
  const runs: Record<Setup, Array<Figures>> = { single: [], redis1: [], cluster: [] }
  for (let i = 0; i < repeats; i++) {
    for (const setup of setups) {
      const figures = await measure(scenario, setup)
      process.stderr.write(`${scenario.name} #${i + 1} ${setup}: ${JSON.stringify(figures)}\n`)
      runs[setup].push(figures)
    }
  }
  for (const setup of setups) {
    const pick = (key: keyof Figures) => format(median(runs[setup].map((figures) => figures[key])))
    const label = `${scenario.name} (${scenario.clients}×${scenario.senders}×${scenario.messages}${
      scenario.rate > 0 ? ` @${scenario.rate}/s` : ""
    })`
    process.stdout.write(
      `| ${label} | ${labels[setup]} | ${pick("cpuPerDeliveryUs")} | ${pick("nodeCpuPerDeliveryUs")} | ${
        setup === "single" ? "–" : pick("redisCpuPerEventUs")
      } | ${pick("deliveriesPerSecond")} | ${pick("p50")} | ${pick("p99")} | ${pick("lost")} |\n`
    )
  }
}
