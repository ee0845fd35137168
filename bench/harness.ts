/**
 * What bench/soak.ts and bench/hostile.ts share: a `chat serve` child process
 * with an event-loop probe, its resident memory, a light line client, and a
 * per-sender sequence check for every delivery.
 *
 * The event-loop probe: the server does not export its event-loop delay, and
 * src/ is not ours to change, so the server is started as
 * `node --import <probe> bin/chat.js serve ...`, where the probe is a dozen
 * lines of `perf_hooks.monitorEventLoopDelay` that print one `loop-delay {…}`
 * line on stderr every few seconds. It measures the server's own event loop
 * (how late a 10 ms timer fires: the histogram holds the time between ticks,
 * so 10 ms is subtracted), in the server's process, without touching its
 * code; its cost is one timer every 10 ms. The bench also measures what a
 * user sees: the round trip of `/who` from a quiet probe client.
 */
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { RecordableHistogram } from "node:perf_hooks"
import { createHistogram, performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

export const chatBin = fileURLToPath(new URL("../bin/chat.js", import.meta.url))

// ---------------------------------------------------------------------------
// Command line

/** `--name VALUE` as a number, or the fallback. */
export const numberArgument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? fallback : Number(process.argv[at + 1])
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`)
  return value
}

/** `--name VALUE` as text, or the fallback. */
export const textArgument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1] ?? fallback
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------
// Statistics

/** Milliseconds, recorded in microseconds in a histogram with percentiles. */
export class Latency {
  private readonly histogram: RecordableHistogram = createHistogram()
  record(ms: number): void {
    this.histogram.record(Math.max(1, Math.round(ms * 1000)))
  }
  get count(): number {
    return this.histogram.count
  }
  percentile(p: number): number {
    return this.histogram.count === 0 ? 0 : round(this.histogram.percentile(p) / 1000)
  }
  summary(): { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number } {
    return {
      count: this.count,
      p50: this.percentile(50),
      p99: this.percentile(99),
      max: this.count === 0 ? 0 : round(this.histogram.max / 1000)
    }
  }
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits))

export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

// ---------------------------------------------------------------------------
// The server

const probeSource = `
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks"
const interval = monitorEventLoopDelay({ resolution: 10 })
const total = monitorEventLoopDelay({ resolution: 10 })
interval.enable()
total.enable()
setTimeout(() => total.reset(), Number(process.env.CHAT_PROBE_WARMUP_MS ?? 0)).unref()
// The histogram holds the time between two ticks of a 10 ms timer; the delay is what exceeds the 10 ms.
const ms = (ns) => Math.max(0, Math.round((ns - 10e6) / 1e4) / 100)
let gc = { count: 0, totalMs: 0, maxMs: 0, majorMaxMs: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++
    gc.totalMs += entry.duration
    gc.maxMs = Math.max(gc.maxMs, entry.duration)
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration)
  }
}).observe({ entryTypes: ["gc"] })
// With CHAT_PROBE_GC=1 and --expose-gc: a full collection before each report, so heapUsed is the live heap.
const collect = process.env.CHAT_PROBE_GC === "1" && typeof globalThis.gc === "function" ? globalThis.gc : () => {}
setInterval(() => {
  collect()
  const memory = process.memoryUsage()
  process.stderr.write("loop-delay " + JSON.stringify({
    p50: ms(interval.percentile(50)), p99: ms(interval.percentile(99)), max: ms(interval.max),
    totalP99: ms(total.percentile(99)), totalMax: ms(total.max), totalCount: total.count,
    heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, rss: memory.rss,
    gcCount: gc.count, gcTotalMs: Math.round(gc.totalMs), gcMaxMs: Math.round(gc.maxMs), gcMajorMaxMs: Math.round(gc.majorMaxMs)
  }) + "\\n")
  interval.reset()
  gc = { count: 0, totalMs: 0, maxMs: 0, majorMaxMs: 0 }
}, Number(process.env.CHAT_PROBE_EVERY_MS ?? 5000)).unref()
`

export interface LoopDelay {
  /** This interval's delays, in ms. */
  readonly p50: number
  readonly p99: number
  readonly max: number
  /** Since the warm-up ended, in ms. */
  readonly totalP99: number
  readonly totalMax: number
  readonly totalCount: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly rss: number
  /** Garbage collections in this interval: how many, their total and longest pause, in ms. */
  readonly gcCount: number
  readonly gcTotalMs: number
  readonly gcMaxMs: number
  readonly gcMajorMaxMs: number
}

export interface Server {
  readonly port: number
  readonly process: ChildProcess
  /** Every `loop-delay` report so far. */
  readonly loopDelays: Array<LoopDelay>
  readonly stderr: () => string
  /** Resident memory from /proc/PID/status, in MB. */
  readonly rssMb: () => number
  /** CPU time (user + system) from /proc/PID/stat, in ms. */
  readonly cpuMs: () => number
  /** SIGTERM, then the exit code and how long it took. */
  readonly stop: () => Promise<{ readonly code: number | null; readonly ms: number }>
}

/** Starts `chat serve --port 0 ...args` with the event-loop probe, once it listens. */
export const startServer = async (
  args: ReadonlyArray<string>,
  options: {
    readonly probeEveryMs?: number
    readonly warmupMs?: number
    /** Collect garbage fully before each report, so that `heapUsed` is the live heap (costs a pause). */
    readonly liveHeap?: boolean
  } = {}
): Promise<Server> => {
  const probe = join(mkdtempSync(join(tmpdir(), "chat-bench-")), "loop-delay-probe.mjs")
  writeFileSync(probe, probeSource)
  const flags = options.liveHeap === true ? ["--expose-gc"] : []
  const child = spawn(process.execPath, [...flags, "--import", probe, chatBin, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      CHAT_PROBE_EVERY_MS: String(options.probeEveryMs ?? 5000),
      CHAT_PROBE_WARMUP_MS: String(options.warmupMs ?? 0),
      CHAT_PROBE_GC: options.liveHeap === true ? "1" : "0"
    }
  })
  let stopping = false
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      if (!stopping) process.stderr.write(`chat serve exited on its own (${code ?? signal}); its stderr:\n${stderr}\n`)
      resolve(code)
    })
  )
  process.once("exit", () => child.kill("SIGKILL"))
  let stderr = ""
  let partial = ""
  const loopDelays: Array<LoopDelay> = []
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (text: string) => {
    const lines = (partial + text).split("\n")
    partial = lines.pop() ?? ""
    for (const line of lines) {
      if (line.startsWith("loop-delay ")) loopDelays.push(JSON.parse(line.slice("loop-delay ".length)) as LoopDelay)
      else stderr += `${line}\n`
    }
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 10 s:\n${stderr}`)), 10_000)
    const check = () => {
      const match = /listening on \S+:(\d+)/.exec(stderr)
      if (match === null) return
      clearTimeout(timer)
      child.stderr.off("data", check)
      resolve(Number(match[1]))
    }
    child.stderr.on("data", check)
    void exited.then((code) => reject(new Error(`chat serve exited (${code}) before listening:\n${stderr}`)))
  })
  const pid = child.pid!
  return {
    port,
    process: child,
    loopDelays,
    stderr: () => stderr,
    rssMb: () => {
      if (child.exitCode !== null || child.signalCode !== null) return 0
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
      return match === null ? 0 : round(Number(match[1]) / 1024, 1)
    },
    cpuMs: () => {
      if (child.exitCode !== null || child.signalCode !== null) return 0
      // Fields 14 and 15 of /proc/PID/stat, after the command name in parentheses, in clock ticks (100 Hz).
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      return (Number(fields[11]) + Number(fields[12])) * 10
    },
    stop: async () => {
      const started = performance.now()
      stopping = true
      child.kill("SIGTERM")
      // A server that ignores SIGTERM must not hang the run: after 10 s it is killed, and says so.
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      const code = await exited
      clearTimeout(timer)
      return { code, ms: Math.round(performance.now() - started) }
    }
  }
}

// ---------------------------------------------------------------------------
// Clients

/** A raw TCP client that hands each received line to `onLine`, as `nc` would show it. */
export class BenchClient {
  readonly socket: Net.Socket
  private partial = ""
  closed = false
  /** Lines that arrived, for the few callers that wait for one. */
  private waiters: Array<{ readonly test: (line: string) => boolean; readonly resolve: (line: string) => void }> = []
  readonly done: Promise<void>

  private constructor(socket: Net.Socket, private readonly onLine: (line: string, now: number) => void) {
    this.socket = socket
    socket.setEncoding("utf8")
    socket.on("data", (data: string) => {
      const now = performance.now()
      const lines = (this.partial + data).split("\n")
      this.partial = lines.pop() ?? ""
      for (const line of lines) {
        this.onLine(line, now)
        if (this.waiters.length > 0) {
          const matched = this.waiters.filter((waiter) => waiter.test(line))
          this.waiters = this.waiters.filter((waiter) => !waiter.test(line))
          for (const waiter of matched) waiter.resolve(line)
        }
      }
    })
    socket.on("error", () => {})
    this.done = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true
        resolve()
      })
    )
  }

  static connect(port: number, onLine: (line: string, now: number) => void = () => {}): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const socket = Net.connect({ host: "127.0.0.1", port, noDelay: true })
      socket.once("error", reject)
      socket.once("connect", () => {
        socket.off("error", reject)
        resolve(new BenchClient(socket, onLine))
      })
    })
  }

  /** Resolves with the first later line that passes `test`; rejects if the connection closes or `ms` pass first. */
  waitFor(test: (line: string) => boolean, ms = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`waited ${ms} ms for a line`)), ms)
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer)
          resolve(line)
        }
      }
      this.waiters.push(waiter)
      void this.done.then(() => {
        clearTimeout(timer)
        reject(new Error("the connection closed"))
      })
    })
  }

  send(line: string): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(`${line}\n`)
  }

  write(data: string | Uint8Array): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.write(data)
  }

  reset(): void {
    this.socket.resetAndDestroy()
  }

  end(): void {
    this.socket.end()
  }
}

// ---------------------------------------------------------------------------
// Checking deliveries

/**
 * Room messages carry `seq sentAt` after a marker word: `<nick> m 17 1234.5`.
 * For one receiver, every sender's numbers must come one after another: a
 * jump is a loss, a step back a reorder or a duplicate.
 */
export class Sequences {
  private readonly last = new Map<string, number>()
  lost = 0
  reordered = 0
  delivered = 0

  /**
   * Counts one message. `fromStart`: the receiver was there before the
   * sender's first message, so the first it sees must be number 1; else
   * (it joined later, or got the room's history) any first number will do.
   */
  see(sender: string, seq: number, fromStart: boolean): void {
    this.delivered++
    const last = this.last.get(sender) ?? (fromStart ? 0 : seq - 1)
    if (seq === last + 1) this.last.set(sender, seq)
    else if (seq > last + 1) {
      this.lost += seq - last - 1
      this.last.set(sender, seq)
    } else this.reordered++
  }

  lastFrom(sender: string): number {
    return this.last.get(sender) ?? 0
  }
}

/** `<nick> m SEQ SENT_AT`: the sender, its number and when it was sent; undefined for any other line. */
export const parseMessage = (
  line: string
): { readonly sender: string; readonly seq: number; readonly sentAt: number } | undefined => {
  if (!line.startsWith("<")) return undefined
  const close = line.indexOf("> m ")
  if (close === -1) return undefined
  const rest = line.slice(close + 4)
  const space = rest.indexOf(" ")
  return { sender: line.slice(1, close), seq: Number(rest.slice(0, space)), sentAt: Number(rest.slice(space + 1)) }
}

/** Sends `/who` every `everyMs` from its own room and records the round trip: what a user waits for an answer. */
export const startWhoProbe = async (port: number, everyMs: number) => {
  const latency = new Latency()
  let sentAt = 0
  let waiting = false
  const client = await BenchClient.connect(port, (line, now) => {
    if (waiting && line.startsWith("*** in #")) {
      latency.record(now - sentAt)
      waiting = false
    }
  })
  client.send("/nick whoprobe")
  client.send("/join probe")
  await client.waitFor((line) => line.startsWith("*** joined #probe"))
  let missed = 0
  const timer = setInterval(() => {
    if (waiting) {
      missed++
      return
    }
    waiting = true
    sentAt = performance.now()
    client.send("/who")
  }, everyMs)
  return {
    latency,
    missed: () => missed,
    closed: () => client.closed,
    stop: () => {
      clearInterval(timer)
      client.reset()
    }
  }
}
