/**
 * The benchmark: the same scenarios against `chat serve --rate 0 --max-queue
 * 200000` and the hand-written baseline (bench/baseline.ts), alternating,
 * several times, then one table of medians with the ratio chat ÷ baseline.
 *
 *   node --import tsx bench/run.ts [--repeats 3] [--only light,small] [--stall-ms 20000] [--servers chat]
 *     [--clients N] [--settle-ms 30000] [--profile DIR]
 *
 * Run it by hand on a quiet machine (`npm run build` first); it is not a test.
 * Server CPU is read from /proc/PID/stat around each phase (joining, then
 * sending), resident memory from /proc/PID/status.
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { LoadResult } from "./load.js"
import { run as load } from "./load.js"
import { cpuMillis, rssKiB } from "./proc.js"

interface Scenario {
  readonly name: string
  readonly clients: number
  readonly senders: number
  readonly messages: number
  readonly rate: number
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "small", clients: 100, senders: 10, messages: 1000, rate: 0 },
  { name: "large", clients: 1000, senders: 5, messages: 200, rate: 0 },
  { name: "light", clients: 100, senders: 10, messages: 250, rate: 50 },
  { name: "idle-5000", clients: 5000, senders: 1, messages: 100, rate: 0 },
  { name: "held-10000", clients: 10_000, senders: 1, messages: 10, rate: 0 },
  { name: "held-20000", clients: 20_000, senders: 1, messages: 10, rate: 0 }
]

const argument = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}

const repeats = Number(argument("repeats") ?? 3)
const only = argument("only")?.split(",")
// `--clients N` overrides the scenarios' client counts (to find where a limit lies).
const clientsOverride = argument("clients")
// `--servers chat` measures chat alone (to iterate on it); the table then shows NaN for the baseline.
const measured = (argument("servers")?.split(",") ?? ["chat", "baseline"]) as ReadonlyArray<ServerName>
const stallMillis = Number(argument("stall-ms") ?? 20_000)
// `--settle-ms N`: after the joins, the clients stay idle this long before the memory is read again
// and the messages are sent (V8 returns a crowd's garbage some seconds after it stops arriving).
const settleMillis = Number(argument("settle-ms") ?? 0)
// `--profile DIR`: each server writes a CPU profile there (`node --cpu-prof`), on a clean exit.
const profileDir = argument("profile")
const root = fileURLToPath(new URL("..", import.meta.url))

const servers = {
  chat: ["bin/chat.js", "serve", "--port", "0", "--rate", "0", "--max-queue", "200000", "--max-clients", "25000"],
  baseline: ["--import", "tsx", "bench/baseline.ts", "--port", "0"]
} as const
type ServerName = keyof typeof servers

const start = (name: ServerName): Promise<{ child: ChildProcess; port: number }> =>
  new Promise((resolve, reject) => {
    const profiling = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]
    const child = spawn(process.execPath, [...profiling, ...servers[name]], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"]
    })
    let log = ""
    child.stderr.on("data", (data: Buffer) => {
      log += data.toString()
      const match = /listening on [^:\s]+:(\d+)/.exec(log)
      if (match !== null) resolve({ child, port: Number(match[1]) })
    })
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}: ${log}`)))
  })

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.once("exit", () => resolve())
    // A profile is written only on a clean exit.
    child.kill(profileDir === undefined ? "SIGKILL" : "SIGTERM")
  })

interface Measure {
  readonly result: LoadResult
  readonly joinCpuMillis: number
  readonly sendCpuMillis: number
  readonly rssPerClientKiB: number
  /** The same, once the server has been idle for `--settle-ms` (its garbage collected): what idle clients cost. */
  readonly settledRssPerClientKiB: number
}

const measure = async (name: ServerName, scenario: Scenario): Promise<Measure> => {
  const { child, port } = await start(name)
  // Whatever happens to the run, the server does not outlive it.
  try {
    return await measureServer(child, port, scenario)
  } finally {
    await stop(child)
  }
}

const measureServer = async (child: ChildProcess, port: number, scenario: Scenario): Promise<Measure> => {
  const pid = child.pid!
  await new Promise((resolve) => setTimeout(resolve, 300))
  const cpu0 = cpuMillis(pid)
  const rss0 = rssKiB(pid)
  let cpu1 = cpu0
  let rss1 = rss0
  let settled = rss0
  const result = await load({
    host: "127.0.0.1",
    port,
    clients: scenario.clients,
    senders: scenario.senders,
    messages: scenario.messages,
    rate: scenario.rate,
    connectConcurrency: 100,
    stallMillis,
    onJoined: async () => {
      cpu1 = cpuMillis(pid)
      rss1 = rssKiB(pid)
      if (settleMillis > 0) await new Promise((resolve) => setTimeout(resolve, settleMillis))
      settled = rssKiB(pid)
      cpu1 = cpuMillis(pid)
    }
  })
  const cpu2 = cpuMillis(pid)
  return {
    result,
    joinCpuMillis: cpu1 - cpu0,
    sendCpuMillis: cpu2 - cpu1,
    rssPerClientKiB: (rss1 - rss0) / scenario.clients,
    settledRssPerClientKiB: (settled - rss0) / scenario.clients
  }
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

interface Row {
  readonly scenario: string
  readonly figure: string
  readonly chat: number
  readonly baseline: number
}

const figures: ReadonlyArray<readonly [string, (m: Measure) => number]> = [
  ["server CPU µs per delivery", (m) => (m.sendCpuMillis * 1000) / Math.max(1, m.result.delivered)],
  ["deliveries per second", (m) => m.result.deliveriesPerSecond],
  ["latency p50 ms", (m) => m.result.latencyP50],
  ["latency p99 ms", (m) => m.result.latencyP99],
  ["connect and join, ms", (m) => m.result.joinMillis],
  ["server CPU for the joins, ms", (m) => m.joinCpuMillis],
  ["RSS per connection, KiB", (m) => m.rssPerClientKiB],
  ["RSS per connection once settled, KiB", (m) => m.settledRssPerClientKiB],
  ["lost + duplicated + reordered", (m) => m.result.lost + m.result.duplicates + m.result.reordered],
  ["load generator CPU, ms", (m) => m.result.loadCpuMillis]
]

const rows: Array<Row> = []
const chosen = scenarios.filter((s) => only === undefined || only.includes(s.name)).map((s) =>
  clientsOverride === undefined ? s : { ...s, clients: Number(clientsOverride) }
)
for (const scenario of chosen) {
  const runs: Record<ServerName, Array<Measure>> = { chat: [], baseline: [] }
  for (let i = 0; i < repeats; i++) {
    for (const name of measured) {
      const measured = await measure(name, scenario)
      runs[name].push(measured)
      process.stderr.write(`${scenario.name} #${i + 1} ${name}: ${JSON.stringify(measured)}\n`)
    }
  }
  for (const [figure, of] of figures) {
    rows.push({
      scenario: `${scenario.name} (${scenario.clients}×${scenario.senders}×${scenario.messages}${
        scenario.rate > 0 ? ` @${scenario.rate}/s` : ""
      })`,
      figure,
      chat: median(runs.chat.map(of)),
      baseline: median(runs.baseline.map(of))
    })
  }
}

const format = (n: number): string => Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 3 : 1)
process.stdout.write("| scenario | figure | chat | baseline | chat ÷ baseline |\n| --- | --- | ---: | ---: | ---: |\n")
for (const row of rows) {
  const ratio = row.baseline === 0 ? "–" : (row.chat / row.baseline).toFixed(2)
  process.stdout.write(
    `| ${row.scenario} | ${row.figure} | ${format(row.chat)} | ${format(row.baseline)} | ${ratio} |\n`
  )
}
