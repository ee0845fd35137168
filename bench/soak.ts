/**
 * The soak: steady chat from a few hundred clients, with churn, for a long
 * time, against a real `chat serve` with its default options (flood control
 * included) and an idle timeout.
 *
 *   node --import tsx bench/soak.ts [--minutes 15] [--clients 300] [--rooms 10]
 *        [--rate 0.1] [--churners 60] [--sample-seconds 5] [--live-heap 1]
 *
 * - `clients` stay for the whole run, each in one of `rooms`, each sending
 *   `rate` messages a second (one every 5–15 s by default, as people type):
 *   `<s17> m SEQ SENT_AT`.
 * - `churners` slots keep short-lived clients coming and going: each joins a
 *   room (and gets its history), chats for 5–40 s, then leaves by `/quit`,
 *   end of stream, reset, or by falling silent until the idle timeout.
 * - Every `sample-seconds`: the server's resident memory (/proc/PID/status),
 *   its CPU time, its event-loop delay (see harness.ts), and the round trip
 *   of `/who` from a quiet probe client.
 * - Every delivery is checked: each receiver must get each sender's numbers
 *   one after another, none missing, none twice, none out of order, and by
 *   the end every message of a client that stayed, quit or closed cleanly.
 *
 * Prints a line per minute on stderr and one JSON report on stdout. Targets:
 * memory growth under 10% after the first minute, no lost or reordered
 * delivery to a healthy client.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks"
import type { Server } from "./harness.js"
import {
  BenchClient,
  Latency,
  median,
  numberArgument,
  parseMessage,
  round,
  Sequences,
  sleep,
  startServer,
  startWhoProbe
} from "./harness.js"

const minutes = numberArgument("minutes", 15)
const stableCount = numberArgument("clients", 300)
const roomCount = numberArgument("rooms", 10)
const rate = numberArgument("rate", 0.1)
const churnSlots = numberArgument("churners", 60)
const sampleSeconds = numberArgument("sample-seconds", 5)
/** 1: collect garbage fully before each sample, so the heap figures are the live heap (a leak shows as growth). */
const liveHeap = numberArgument("live-heap", 0) === 1
const idleSeconds = 30

const log = (text: string) => process.stderr.write(`soak: ${text}\n`)

interface Member {
  readonly nick: string
  readonly room: string
  readonly client: BenchClient
  readonly sequences: Sequences
  sent: number
  /** For churners: how it left; for the stable clients: still "here" at the end. */
  ending: "here" | "quit" | "close" | "reset" | "idle"
  /** Set if the server closed a connection the client did not mean to end. */
  droppedUnexpectedly: boolean
}

const latency = new Latency()
/** The same, minute by minute, to see when latency spikes. */
const latencyByMinute: Array<Latency> = []
let currentMinute = new Latency()
const stable: Array<Member> = []
const churned: Array<Member> = []
let churnerCount = 0
let sending = true
const unexpectedLines: Array<string> = []

/** Messages a member has seen, by room; a `fromStart` receiver must see each sender's first message. */
const onLineFor = (member: () => Member | undefined, fromStart: boolean) => (line: string, now: number) => {
  const message = parseMessage(line)
  const self = member()
  if (self === undefined) return
  if (message !== undefined) {
    self.sequences.see(message.sender, message.seq, fromStart)
    if (fromStart) {
      latency.record(now - message.sentAt)
      currentMinute.record(now - message.sentAt)
    }
    return
  }
  // Anything else must be a notice: joins, leaves, renames, the probe's answers.
  if (!line.startsWith("*** ") && unexpectedLines.length < 20) unexpectedLines.push(`${self.nick}: ${line}`)
}

const join = async (server: Server, nick: string, room: string, fromStart: boolean): Promise<Member> => {
  // Lines that arrive before the member exists are the welcome: nothing to check yet.
  const holder: { member?: Member } = {}
  const client = await BenchClient.connect(server.port, onLineFor(() => holder.member, fromStart))
  const member: Member = {
    nick,
    room,
    client,
    sequences: new Sequences(),
    sent: 0,
    ending: "here",
    droppedUnexpectedly: false
  }
  holder.member = member
  client.send(`/nick ${nick}`)
  client.send(`/join ${room}`)
  await client.waitFor((line) => line.startsWith(`*** joined #${room}`), 30_000).catch((error: Error) => {
    client.reset()
    throw error
  })
  return member
}

/** Sends a numbered message every 1/rate seconds (with jitter) while `alive()`. */
const chat = async (member: Member, alive: () => boolean): Promise<void> => {
  await sleep(Math.random() * 1000 / rate)
  while (alive() && sending && !member.client.closed) {
    member.sent++
    member.client.send(`m ${member.sent} ${performance.now().toFixed(3)}`)
    await sleep((0.5 + Math.random()) * 1000 / rate)
  }
}

const churner = async (server: Server): Promise<void> => {
  while (sending) {
    const n = ++churnerCount
    const room = `room${n % roomCount}`
    const member = await join(server, `c${n}`, room, false).catch(() => undefined)
    if (member === undefined) {
      // Refused (the server is full or going): try again later, not in a tight loop.
      await sleep(1_000)
      continue
    }
    churned.push(member)
    const lifetime = 5_000 + Math.random() * 35_000
    const until = performance.now() + lifetime
    await chat(member, () => performance.now() < until)
    const roll = Math.random()
    member.ending = roll < 0.4 ? "quit" : roll < 0.7 ? "close" : roll < 0.9 ? "reset" : "idle"
    if (member.ending === "quit") member.client.send("/quit see you")
    else if (member.ending === "close") member.client.end()
    else if (member.ending === "reset") member.client.reset()
    // "idle": say nothing more; the server closes it after the idle timeout.
    if (member.ending !== "reset") {
      await Promise.race([member.client.done, sleep((idleSeconds + 10) * 1000)])
      if (!member.client.closed) {
        member.droppedUnexpectedly = true
        member.client.reset()
      }
    }
    await sleep(Math.random() * 2_000)
  }
}

const main = async () => {
  const benchLoop = monitorEventLoopDelay({ resolution: 10 })
  benchLoop.enable()
  // Memory growth is measured from the end of the first minute (of a quarter of a short run).
  const warmupMs = Math.min(60_000, minutes * 15_000)
  const server = await startServer(["--idle-timeout", `${idleSeconds}s`], {
    probeEveryMs: sampleSeconds * 1000,
    warmupMs,
    liveHeap
  })
  log(
    `server on port ${server.port}, ${minutes} min, ${stableCount} clients in ${roomCount} rooms, ${churnSlots} churners`
  )

  for (let i = 0; i < stableCount; i += 50) {
    const batch = Array.from({ length: Math.min(50, stableCount - i) }, (_, k) => i + k)
    stable.push(...await Promise.all(batch.map((n) => join(server, `s${n}`, `room${n % roomCount}`, true))))
  }
  for (const member of stable) {
    void member.client.done.then(() => {
      if (sending) member.droppedUnexpectedly = true
    })
  }
  const probe = await startWhoProbe(server.port, 1000)
  log(`${stableCount} clients joined; rss ${server.rssMb()} MB`)

  const started = performance.now()
  const samples: Array<{ readonly seconds: number; readonly rssMb: number; readonly cpuMs: number }> = []
  const sampler = setInterval(() => {
    samples.push({
      seconds: Math.round((performance.now() - started) / 1000),
      rssMb: server.rssMb(),
      cpuMs: server.cpuMs()
    })
    const sample = samples.at(-1)!
    if (sample.seconds % 60 < sampleSeconds) {
      latencyByMinute.push(currentMinute)
      currentMinute = new Latency()
      const loop = server.loopDelays.at(-1)
      log(
        `${Math.round(sample.seconds / 60)} min: rss ${sample.rssMb} MB, ${latency.count} deliveries, ` +
          `latency p99 ${latency.percentile(99)} ms, loop p99 ${loop?.p99 ?? "?"} ms, /who p99 ${
            probe.latency.percentile(99)
          } ms, ` +
          `churners so far ${churnerCount}`
      )
    }
  }, sampleSeconds * 1000)

  const chatting = stable.map((member) => chat(member, () => true))
  const churning = Array.from({ length: churnSlots }, () => churner(server))
  await sleep(minutes * 60_000)
  sending = false
  clearInterval(sampler)
  await Promise.all(chatting)
  // Let the last messages arrive, and the last churners go.
  await Promise.race([Promise.all(churning), sleep((idleSeconds + 15) * 1000)])
  await sleep(3_000)
  const cpuMs = server.cpuMs()
  const elapsed = performance.now() - started

  // Every message of a client that stayed, quit or closed must have reached every stable client of its room.
  let lost = 0
  let reordered = 0
  let shortfall = 0
  for (const receiver of stable) {
    lost += receiver.sequences.lost
    reordered += receiver.sequences.reordered
    for (const sender of [...stable, ...churned]) {
      if (sender === receiver || sender.room !== receiver.room || sender.ending === "reset") continue
      shortfall += Math.max(0, sender.sent - receiver.sequences.lastFrom(sender.nick))
    }
  }
  const churnerLost = churned.reduce((n, member) => n + member.sequences.lost, 0)
  const churnerReordered = churned.reduce((n, member) => n + member.sequences.reordered, 0)

  const afterWarmup = samples.filter((sample) => sample.seconds >= warmupMs / 1000)
  const baselineRss = median(afterWarmup.filter((sample) => sample.seconds < (2 * warmupMs) / 1000).map((s) => s.rssMb))
  const endRss = median(
    samples.filter((sample) => sample.seconds >= minutes * 60 - warmupMs / 1000).map((s) => s.rssMb)
  )
  const slope = slopePerMinute(afterWarmup.map((sample) => [sample.seconds / 60, sample.rssMb] as const))
  const loop = server.loopDelays.at(-1)
  const heapAt = (seconds: number) =>
    round((server.loopDelays[Math.max(0, Math.round(seconds / sampleSeconds) - 1)]?.heapUsed ?? 0) / 2 ** 20, 1)
  const probeClosed = probe.closed()
  probe.stop()
  const stop = await server.stop()
  for (const member of [...stable, ...churned]) member.client.socket.destroy()

  const report = {
    minutes,
    liveHeap,
    clients: stableCount,
    rooms: roomCount,
    ratePerClient: rate,
    churners: churnerCount,
    churnEndings: countBy(churned.map((member) => member.ending)),
    deliveriesToStableClients: latency.count,
    sentByStableClients: stable.reduce((n, member) => n + member.sent, 0),
    lost: lost + shortfall,
    reordered,
    stableClientsDropped: stable.filter((member) => member.droppedUnexpectedly).length,
    churnersNotClosedByServer: churned.filter((member) => member.droppedUnexpectedly).length,
    churnerGapsOrReorders: churnerLost + churnerReordered,
    unexpectedLines,
    latencyMs: latency.summary(),
    whoRoundTripMs: { ...probe.latency.summary(), unanswered: probe.missed(), probeDropped: probeClosed },
    serverLoopDelayMs: { p99: loop?.totalP99 ?? 0, max: loop?.totalMax ?? 0, samples: loop?.totalCount ?? 0 },
    // The bench's own event loop (less the 10 ms resolution): if it lags, so do the latencies it measures.
    benchLoopDelayMs: { p99: round(benchLoop.percentile(99) / 1e6 - 10), max: round(benchLoop.max / 1e6 - 10) },
    rssMb: {
      afterFirstMinute: baselineRss,
      atEnd: endRss,
      max: Math.max(...samples.map((sample) => sample.rssMb)),
      growthPercent: round(((endRss - baselineRss) / baselineRss) * 100, 1),
      slopeMbPerMinute: round(slope, 3),
      heapUsedAfterFirstMinute: heapAt(warmupMs / 1000 + 30),
      heapUsedAtEnd: heapAt(minutes * 60),
      samples: samples.map((sample) => [sample.seconds, sample.rssMb])
    },
    serverCpuPercent: round((cpuMs / elapsed) * 100, 1),
    /** Minute by minute: latency p99 and max, the server's longest event-loop delay and GC pause, and its memory, in MB. */
    byMinute: latencyByMinute.map((minute, i) => {
      const reports = server.loopDelays.slice(
        Math.round((i * 60) / sampleSeconds),
        Math.round(((i + 1) * 60) / sampleSeconds)
      )
      const last = reports.at(-1)
      const mb = (bytes: number | undefined) => round((bytes ?? 0) / 2 ** 20, 1)
      return {
        minute: i + 1,
        latencyP99: minute.percentile(99),
        latencyMax: minute.summary().max,
        loopDelayMax: Math.max(0, ...reports.map((r) => r.max)),
        gcMaxMs: Math.max(0, ...reports.map((r) => r.gcMaxMs)),
        gcMs: reports.reduce((n, r) => n + r.gcTotalMs, 0),
        rss: mb(last?.rss),
        heapUsed: mb(last?.heapUsed),
        heapTotal: mb(last?.heapTotal),
        external: mb(last?.external)
      }
    }),
    shutdown: stop
  }
  process.stdout.write(`${JSON.stringify(report)}\n`)
  log(
    `done: lost ${report.lost}, reordered ${reordered}, rss ${baselineRss} → ${endRss} MB ` +
      `(${report.rssMb.growthPercent}%), latency p99 ${report.latencyMs.p99} ms, server loop p99 ${report.serverLoopDelayMs.p99} ms`
  )
  process.exit(0)
}

const countBy = (values: ReadonlyArray<string>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}

/** Least-squares slope of y over x. */
const slopePerMinute = (points: ReadonlyArray<readonly [number, number]>): number => {
  if (points.length < 2) return 0
  const n = points.length
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : sxy / sxx
}

await main()
