/**
 * Profiles one scenario of bench/cluster.ts on a 2-node cluster: each node
 * runs under `node --cpu-prof` (profiles written on SIGTERM into --dir), and
 * Redis's own view is printed afterwards (`INFO commandstats`: time per
 * command inside Redis, and its CPU from /proc). A tool for finding where
 * the cluster's CPU goes, not a benchmark:
 *
 *   npm run build && node --import tsx bench/cluster-profile.ts --scenario light --dir /tmp/prof [--single]
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { run as load } from "./load.js"
import { cpuMillis, startRedis, waitForLine } from "./proc.js"

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1] ?? fallback
}
const scenario = argument("scenario", "light")
const dir = argument("dir", mkdtempSync(join(tmpdir(), "chat-prof-")))
const single = process.argv.includes("--single")
const profile = !process.argv.includes("--no-prof")
mkdirSync(dir, { recursive: true })
const root = fileURLToPath(new URL("..", import.meta.url))

const userSys = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return `${Number(fields[11]) * 10}u+${Number(fields[12]) * 10}s`
}
const writes = (pid: number): number => Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? 0)

const { child: redis, url } = await startRedis()

const startNode = async (): Promise<{ child: ChildProcess; port: number }> => {
  const flags = profile ? ["--cpu-prof", "--cpu-prof-dir", dir] : []
  const extra = single ? [] : ["--redis", url]
  const child = spawn(
    process.execPath,
    [...flags, "bin/chat.js", "serve", "--port", "0", "--rate", "0", "--max-queue", "200000", ...extra],
    { cwd: root, stdio: ["ignore", "ignore", "pipe"] }
  )
  const match = await waitForLine(child, "stderr", /listening on [^:\s]+:(\d+)/)
  let log = ""
  child.stderr.on("data", (data: Buffer) => {
    if (log.length < 20_000) log += data.toString()
  })
  child.once("exit", () => process.stderr.write(`node ${child.pid} log:\n${log.slice(0, 3000)}\n`))
  return { child, port: Number(match[1]) }
}
const count = Number(argument("nodes", single ? "1" : "2"))
const nodes: Array<{ child: ChildProcess; port: number }> = []
for (let i = 0; i < count; i++) nodes.push(await startNode())
await new Promise((resolve) => setTimeout(resolve, 300))

const redisCli = (...args: Array<string>): Promise<string> =>
  new Promise((resolve) => {
    const child = spawn("redis-cli", ["-u", url, ...args])
    let out = ""
    child.stdout.on("data", (data: Buffer) => (out += data.toString()))
    child.once("exit", () => resolve(out))
  })

const shape = scenario === "light" ?
  { messages: 250, rate: 50 } :
  { messages: 1000, rate: 0 }
let cpu0: Array<number> = []
let writes0: Array<number> = []
const result = await load({
  host: "127.0.0.1",
  port: nodes[0]!.port,
  ports: nodes.map((node) => node.port),
  clients: 100,
  senders: 10,
  connectConcurrency: 50,
  stallMillis: 20_000,
  ...shape,
  onJoined: () => {
    cpu0 = [...nodes.map((node) => cpuMillis(node.child.pid!)), cpuMillis(redis.pid!)]
    writes0 = [...nodes.map((node) => writes(node.child.pid!)), writes(redis.pid!)]
    void redisCli("CONFIG", "RESETSTAT")
  }
})
const cpu = [...nodes.map((node) => cpuMillis(node.child.pid!)), cpuMillis(redis.pid!)].map((ms, i) => ms - cpu0[i]!)
const events = 10 * shape.messages
const written = [...nodes.map((node) => writes(node.child.pid!)), writes(redis.pid!)].map((n, i) => n - writes0[i]!)
process.stdout.write(
  `since start: nodes ${nodes.map((node) => userSys(node.child.pid!)).join(" ")} redis ${userSys(redis.pid!)}\n`
)
process.stdout.write(`write syscalls: nodes ${written.slice(0, -1).join(" ")} redis ${written.at(-1)}\n`)
process.stdout.write(`${JSON.stringify(result)}\n`)
process.stdout.write(
  `cpu ms: nodes ${cpu.slice(0, -1).join(" ")} redis ${cpu.at(-1)}; µs/delivery nodes ${
    (cpu.slice(0, -1).reduce((a, b) => a + b, 0) * 1000 / result.delivered).toFixed(2)
  }; redis µs/event ${(cpu.at(-1)! * 1000 / events).toFixed(1)}\n`
)
process.stdout.write(await redisCli("INFO", "commandstats"))
process.stdout.write(await redisCli("INFO", "errorstats"))
process.stdout.write(await redisCli("INFO", "stats"))
for (const node of nodes) {
  await new Promise<void>((resolve) => {
    node.child.once("exit", () => resolve())
    node.child.kill("SIGTERM")
  })
}
redis.kill("SIGKILL")
process.stdout.write(`profiles in ${dir}\n`)
