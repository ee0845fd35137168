/**
 * How far one Redis carries the cluster: room events per second through the
 * backplane's own `execute` script, and Redis's CPU per event, with no chat
 * node in the way. Several connections keep scripts in flight (as many nodes
 * would), each script one client's batch of `--batch` messages; two
 * subscribers take every published event (as two nodes would).
 *
 *   npm run build && node --import tsx bench/redis-capacity.ts [--seconds 5] [--batch 1] [--connections 4]
 *
 * Redis runs one script at a time, so its capacity is one core:
 * 10^6 / (CPU µs per event) events per second when it is the bottleneck.
 */
import { Redis } from "ioredis"
import * as Scripts from "../src/hub/redis/Scripts.js"
import { cpuMillis, startRedis } from "./proc.js"

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const seconds = argument("seconds", 5)
const batch = argument("batch", 1)
const connections = argument("connections", 4)
const inFlight = argument("in-flight", 4)
const senders = argument("senders", 10)

const { child: server, url } = await startRedis()
const P = "cap:"

const admin = new Redis(url)
const registered = (await admin.eval(Scripts.register, 0, P, "epoch-1", "")) as Array<string | number>
const [epoch, node] = [String(registered[0]), String(registered[1])]
const header = (
  op: string
): Array<string> => [P, epoch, node, op, String(Number(registered[3]) + 3_600_000), "50", "1000"]
// The senders, each a client in #lobby.
for (let i = 1; i <= senders; i++) {
  await admin.eval(Scripts.connect, 0, ...header(`join-${i}`), String(i), `sender${i}`, "lobby", "")
}
const sha = String(await admin.script("LOAD", Scripts.execute))

let received = 0
const subscribers = [new Redis(url), new Redis(url)]
for (const subscriber of subscribers) {
  await subscriber.subscribe(`${P}events`)
  subscriber.on("message", () => received++)
}

let sent = 0
let ops = 0
let running = true
const lines = (client: number): string =>
  JSON.stringify(Array.from({ length: batch }, (_, i) => ({ ok: { _tag: "Say", text: `${client} ${i} hello there` } })))
const drivers = Array.from({ length: connections }, () => new Redis(url))
const loop = async (redis: Redis): Promise<void> => {
  while (running) {
    const client = 1 + (ops % senders)
    await redis.evalsha(sha, 0, ...header(`op-${++ops}`), String(client), lines(client))
    sent += batch
  }
}
const cpu0 = cpuMillis(server.pid!)
const t0 = performance.now()
const loops = drivers.flatMap((redis) => Array.from({ length: inFlight }, () => loop(redis)))
await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
running = false
await Promise.all(loops)
const elapsed = (performance.now() - t0) / 1000
const cpu = cpuMillis(server.pid!) - cpu0
process.stdout.write(
  `${
    JSON.stringify({
      batch,
      connections,
      inFlight,
      eventsPerSecond: Math.round(sent / elapsed),
      redisCpuShare: Number((cpu / 1000 / elapsed).toFixed(2)),
      redisCpuPerEventUs: Number(((cpu * 1000) / sent).toFixed(1)),
      capacityEventsPerSecond: Math.round(sent / (cpu / 1000)),
      publishedMessagesReceived: received
    })
  }\n`
)
for (const redis of [admin, ...subscribers, ...drivers]) redis.disconnect()
server.kill("SIGKILL")
