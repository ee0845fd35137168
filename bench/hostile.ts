/**
 * The hostile run: a few dozen clients do the nastiest things they can, all
 * at once, while healthy clients chat; what did the healthy clients lose,
 * and how long did they wait?
 *
 *   node --import tsx bench/hostile.ts [--seconds 60] [--healthy 40] [--hostile-scale 1]
 *        [--only "flooder,slowloris"]
 *
 * The server runs with its defaults (flood control, `--max-queue 1000`,
 * 4096-byte lines) and `--idle-timeout 30s`. Healthy clients sit in `#main`
 * (with most of the attackers) and `#quiet`, each sending a numbered message
 * every second. The attackers, each a loop that starts over whenever the
 * server cuts it off:
 *
 * - stalled readers in #main that never read a byte (cut off too slow);
 * - flooders in #main sending as fast as TCP lets them, never reading;
 * - megaliners sending endless lines without a newline, 1 MB at a time;
 * - garbage senders: random bytes, NUL, ESC sequences, broken UTF-8;
 * - half-liners: half a line, then a reset or an end of stream, again and again;
 * - a connection storm: connect and reset, as fast as possible;
 * - command spammers: /help, /who, /rooms, /join, /nick, without reading;
 * - slowloris: many connections, one byte every few seconds, never a line;
 * - private-message spammers sending escape sequences to healthy clients;
 * - nick thieves trying to take the healthy clients' nicks.
 *
 * Checked for the healthy clients: every message of every other healthy
 * client, none lost, none twice, none out of order; never disconnected;
 * every line one of PROTOCOL.md's six kinds with no control character;
 * latency from send to receipt (target: p99 under 50 ms). Also reported: the
 * server's event-loop delay, memory, CPU, the `/who` round trip, and how the
 * attackers fared. At the end the server is stopped with everything still
 * running: it must exit 0 within 5 s.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks"
import type { Server } from "./harness.js"
import {
  BenchClient,
  Latency,
  numberArgument,
  parseMessage,
  round,
  Sequences,
  sleep,
  startServer,
  startWhoProbe,
  textArgument
} from "./harness.js"

const seconds = numberArgument("seconds", 60)
const healthyCount = numberArgument("healthy", 40)
const scale = numberArgument("hostile-scale", 1)
/** Only these kinds of attacker (comma-separated), to see what each one costs; all by default. */
const only = textArgument("only", "").split(",").filter((kind) => kind !== "")

const log = (text: string) => process.stderr.write(`hostile: ${text}\n`)

const nickPart = "[A-Za-z][A-Za-z0-9_-]{0,23}"
const protocolLine = new RegExp(
  `^(<${nickPart}> |\\* ${nickPart} |\\[pm\\] <${nickPart}> |\\[pm -> ${nickPart}\\] |\\*\\*\\* |! )`
)
const hasControl = (line: string): boolean =>
  Array.from(line).some((c) => {
    const code = c.codePointAt(0)!
    return (code <= 0x1f && code !== 0x09) || (code >= 0x7f && code <= 0x9f)
  })

let running = true
/** Set just before the server is stopped: connections it closes from then on were not dropped. */
let stopping = false
const latency = new Latency()
const badLines: Array<string> = []
/** What happened to the attackers: connections opened, and cut off by the server. */
const attackers = new Map<string, { connections: number; closedByServer: number; errors: number }>()

const tally = (kind: string) => {
  let entry = attackers.get(kind)
  if (entry === undefined) {
    entry = { connections: 0, closedByServer: 0, errors: 0 }
    attackers.set(kind, entry)
  }
  return entry
}

/** Why attackers left #main, as a healthy client there saw it: `*** NICK left #main (REASON)`. */
const leavesSeenInMain = new Map<string, number>()

interface Healthy {
  readonly nick: string
  readonly room: string
  readonly client: BenchClient
  readonly sequences: Sequences
  sent: number
  dropped: boolean
}

const joinHealthy = async (server: Server, n: number): Promise<Healthy> => {
  const holder: { healthy?: Healthy } = {}
  const client = await BenchClient.connect(server.port, (line, now) => {
    const self = holder.healthy
    if (self === undefined) return
    if (!protocolLine.test(line) || hasControl(line)) {
      if (badLines.length < 20) badLines.push(`${self.nick}: ${JSON.stringify(line.slice(0, 200))}`)
    }
    if (n === 0 && line.startsWith("*** ")) {
      const reason = /^\*\*\* \S+ left #main \(([^):]+)/.exec(line)?.[1]
      if (reason !== undefined && !stopping) leavesSeenInMain.set(reason, (leavesSeenInMain.get(reason) ?? 0) + 1)
    }
    const message = parseMessage(line)
    if (message === undefined || !message.sender.startsWith("h")) return
    self.sequences.see(message.sender, message.seq, true)
    latency.record(now - message.sentAt)
  })
  const room = n % 4 === 3 ? "quiet" : "main"
  const healthy: Healthy = { nick: `h${n}`, room, client, sequences: new Sequences(), sent: 0, dropped: false }
  client.send(`/nick h${n}`)
  client.send(`/join ${room}`)
  await client.waitFor((line) => line.startsWith(`*** joined #${room}`))
  holder.healthy = healthy
  return healthy
}

// ---------------------------------------------------------------------------
// The attackers

/** Runs `attack` on a fresh connection again and again while the run lasts. */
const repeatedly = (server: Server, kind: string, attack: (client: BenchClient) => Promise<void>) =>
  (async () => {
    if (only.length > 0 && !only.includes(kind)) return
    while (running) {
      const stats = tally(kind)
      const client = await BenchClient.connect(server.port).catch(() => undefined)
      if (client === undefined) {
        stats.errors++
        await sleep(100)
        continue
      }
      stats.connections++
      let meantToClose = false
      void client.done.then(() => {
        if (!meantToClose && !stopping) stats.closedByServer++
      })
      await attack(client).catch(() => {
        if (!stopping) stats.errors++
      })
      meantToClose = true
      client.socket.destroy()
    }
  })()

/** Resolves when the connection closes or the run ends. */
const untilClosed = (client: BenchClient) =>
  new Promise<void>((resolve) => {
    void client.done.then(resolve)
    const check = setInterval(() => {
      if (!running) {
        clearInterval(check)
        resolve()
      }
    }, 100)
    void client.done.then(() => clearInterval(check))
  })

/** Writes, waiting for TCP to take it when its buffer is full. */
const writeWaiting = (client: BenchClient, data: string | Uint8Array): Promise<void> =>
  client.write(data) || client.closed ? Promise.resolve() : new Promise((resolve) => {
    client.socket.once("drain", resolve)
    void client.done.then(() => resolve())
  })

let garbageSeed = 1
const garbage = (size: number): Buffer => {
  let x = garbageSeed++
  return Buffer.from(Uint8Array.from({ length: size }, () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    const r = x >> 8
    return r % 7 === 0 ? [0x00, 0x1b, 0x0d, 0x0a, 0x9b][r % 5]! : r & 0xff
  }))
}

const attacks = (server: Server, healthyNicks: ReadonlyArray<string>): Array<Promise<void>> => {
  const times = (n: number) => Array.from({ length: Math.max(1, Math.round(n * scale)) }, (_, i) => i)
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(Math.random() * values.length)]!
  return [
    ...times(6).map(() =>
      repeatedly(server, "stalled reader", async (client) => {
        client.send("/join main")
        client.socket.pause()
        await untilClosed(client)
      })
    ),
    ...times(6).map(() =>
      repeatedly(server, "flooder", async (client) => {
        client.send("/join main")
        client.socket.pause()
        const line = `flood \u001b[31m${"F".repeat(200)}\n`.repeat(50)
        while (running && !client.closed) await writeWaiting(client, line)
      })
    ),
    ...times(4).map(() =>
      repeatedly(server, "megaliner", async (client) => {
        client.socket.pause()
        const megabyte = Buffer.alloc(1024 * 1024, 0x4d)
        for (let i = 0; running && !client.closed; i++) {
          await writeWaiting(client, megabyte)
          if (i % 8 === 7) client.write("\n")
          // 10 MB/s each: as much as a fast home connection sends.
          await sleep(100)
        }
      })
    ),
    ...times(4).map(() =>
      repeatedly(server, "garbage", async (client) => {
        client.send("/join main")
        while (running && !client.closed) {
          await writeWaiting(client, garbage(4096))
          await sleep(50)
        }
      })
    ),
    ...times(4).map(() =>
      repeatedly(server, "half-liner", async (client) => {
        client.write(`half a line ${"h".repeat(Math.floor(Math.random() * 3000))}`)
        await sleep(Math.random() * 50)
        if (Math.random() < 0.5) client.reset()
        else client.end()
      })
    ),
    ...times(4).map(() =>
      repeatedly(server, "connection storm", (client) => {
        client.reset()
        return Promise.resolve()
      })
    ),
    ...times(4).map(() =>
      repeatedly(server, "command spammer", async (client) => {
        client.socket.pause()
        const commands = "/help\n/who\n/rooms\n/join main\n/join lobby\n/nick x\n/me \u001b]0;owned\u0007\n/bogus\n"
        while (running && !client.closed) await writeWaiting(client, commands.repeat(20))
      })
    ),
    ...times(4).map(() =>
      repeatedly(server, "slowloris", async (client) => {
        // Many connections at once, each a byte now and then, never a whole line.
        const extra = await Promise.all(
          Array.from({ length: 49 }, () => BenchClient.connect(server.port).catch(() => undefined))
        )
        const all = [client, ...extra.filter((c): c is BenchClient => c !== undefined)]
        tally("slowloris").connections += all.length - 1
        for (const c of all) c.socket.pause()
        while (running && all.some((c) => !c.closed)) {
          for (const c of all) c.write("x")
          await sleep(5_000)
        }
        for (const c of all) c.socket.destroy()
      })
    ),
    ...times(2).map(() =>
      repeatedly(server, "private-message spammer", async (client) => {
        while (running && !client.closed) {
          client.send(`/msg ${pick(healthyNicks)} \u001b[2J\u001b[H you have been \u0007 owned`)
          await sleep(100)
        }
      })
    ),
    ...times(2).map(() =>
      repeatedly(server, "nick thief", async (client) => {
        while (running && !client.closed) {
          client.send(`/nick ${pick(healthyNicks).toUpperCase()}`)
          await sleep(100)
        }
      })
    )
  ]
}

// ---------------------------------------------------------------------------

const main = async () => {
  const benchLoop = monitorEventLoopDelay({ resolution: 10 })
  benchLoop.enable()
  const server = await startServer(["--idle-timeout", "30s"], { probeEveryMs: 5_000 })
  log(`server on port ${server.port}; ${healthyCount} healthy clients, attackers x${scale}, ${seconds} s`)
  const healthy = await Promise.all(Array.from({ length: healthyCount }, (_, n) => joinHealthy(server, n)))
  for (const member of healthy) {
    void member.client.done.then(() => {
      if (!stopping) member.dropped = true
    })
  }
  const probe = await startWhoProbe(server.port, 1000)
  const rssBefore = server.rssMb()
  let rssMax = rssBefore
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, server.rssMb())
  }, 1000)

  const attacking = attacks(server, healthy.map((member) => member.nick))
  const cpuBefore = server.cpuMs()
  const started = performance.now()
  const chatting = healthy.map(async (member) => {
    await sleep(Math.random() * 1000)
    while (running && !member.client.closed) {
      member.sent++
      member.client.send(`m ${member.sent} ${performance.now().toFixed(3)}`)
      await sleep(1000)
    }
  })
  for (let s = 10; s <= seconds; s += 10) {
    await sleep(10_000)
    log(
      `${s} s: ${latency.count} deliveries, latency p99 ${latency.percentile(99)} ms, ` +
        `server loop p99 ${server.loopDelays.at(-1)?.p99 ?? "?"} ms, rss ${server.rssMb()} MB`
    )
  }
  const cpuMs = server.cpuMs() - cpuBefore
  const elapsed = performance.now() - started
  // Stop the healthy clients' sending, let their last lines arrive, then stop the server under attack.
  const stopSending = healthy.map((member) => member.sent)
  await sleep(2_000)
  clearInterval(sampler)
  const loopDelays = server.loopDelays.filter((_, i) => i > 0)
  const probeDropped = probe.closed()
  stopping = true
  const attackersAtStop = JSON.parse(JSON.stringify(Object.fromEntries(attackers))) as Record<string, unknown>
  // The probe stops first: its ticks while the server shuts down are not unanswered questions.
  probe.stop()
  const stop = await server.stop()
  running = false
  await Promise.all(chatting)
  await Promise.race([Promise.all(attacking), sleep(10_000)])

  let lost = 0
  let reordered = 0
  for (const receiver of healthy) {
    lost += receiver.sequences.lost
    reordered += receiver.sequences.reordered
    for (const [k, sender] of healthy.entries()) {
      if (sender === receiver || sender.room !== receiver.room) continue
      lost += Math.max(0, stopSending[k]! - receiver.sequences.lastFrom(sender.nick))
    }
  }
  const report = {
    seconds,
    healthyClients: healthyCount,
    hostileScale: scale,
    attackerKinds: only.length > 0 ? only : "all",
    healthy: {
      sent: stopSending.reduce((a, b) => a + b, 0),
      deliveries: latency.count,
      lost,
      reordered,
      disconnected: healthy.filter((member) => member.dropped).length,
      badLines,
      latencyMs: latency.summary()
    },
    whoRoundTripMs: { ...probe.latency.summary(), unanswered: probe.missed(), probeDropped },
    attackers: attackersAtStop,
    leavesSeenInMain: Object.fromEntries(leavesSeenInMain),
    server: {
      loopDelayP99Ms: Math.max(0, ...loopDelays.map((d) => d.p99)),
      loopDelayMaxMs: Math.max(0, ...loopDelays.map((d) => d.max)),
      loopDelayP99ByInterval: loopDelays.map((d) => d.p99),
      rssMb: { before: rssBefore, max: rssMax },
      cpuPercent: round((cpuMs / elapsed) * 100, 1),
      shutdownUnderAttack: stop
    },
    benchLoopDelayMs: { p99: round(benchLoop.percentile(99) / 1e6 - 10), max: round(benchLoop.max / 1e6 - 10) }
  }
  process.stdout.write(`${JSON.stringify(report)}\n`)
  log(
    `done: healthy lost ${lost}, reordered ${reordered}, disconnected ${report.healthy.disconnected}, ` +
      `latency p99 ${report.healthy.latencyMs.p99} ms; server exited ${stop.code} in ${stop.ms} ms`
  )
  process.exit(0)
}

await main()
