/**
 * The load generator: opens N clients to a chat server (ours or the
 * baseline), lets S of them send M messages each, at full speed or at a set
 * rate, and checks at every receiver what arrived: deliveries, losses,
 * duplicates, order, and latency from send to receive.
 *
 *   node --import tsx bench/load.ts --port P --clients 100 --senders 10 --messages 1000 [--rate 50]
 *
 * Prints one JSON object on stdout. Plain `node:net`, one process, no
 * per-line allocations beyond a split, so it stays light: its own CPU time
 * is part of the report.
 */
import * as Net from "node:net"
import { performance } from "node:perf_hooks"

export interface LoadOptions {
  readonly host: string
  readonly port: number
  readonly clients: number
  readonly senders: number
  readonly messages: number
  /** Messages per second per sender; 0 sends at full speed. */
  readonly rate: number
  /** Connections being opened at once. */
  readonly connectConcurrency: number
  /** Give up when nothing arrives for this long. */
  readonly stallMillis: number
  /** Several nodes of one cluster: client i connects to `ports[i % ports.length]` (default: `port` alone). */
  readonly ports?: ReadonlyArray<number> | undefined
  /** Called once every client has joined, before anything is sent (the runner samples the server there). */
  readonly onJoined?: () => void | Promise<void>
}

export interface LoadResult {
  readonly clients: number
  readonly connected: number
  readonly joinMillis: number
  readonly expected: number
  readonly delivered: number
  readonly lost: number
  readonly duplicates: number
  readonly reordered: number
  readonly sendMillis: number
  readonly deliveriesPerSecond: number
  readonly latencyP50: number
  readonly latencyP99: number
  readonly latencyMax: number
  readonly disconnected: number
  readonly loadCpuMillis: number
}

interface Receiver {
  readonly socket: Net.Socket
  nick: string
  /** The start of a line whose end has not arrived yet. */
  partial: Buffer | undefined
  /**
   * Only one receiver needs to count join notices: the first. It sees every
   * join after its own, and its welcome counts those before it (with several
   * nodes, clients that connected after it may have joined before it).
   */
  readonly countsJoins: boolean
  welcomed: boolean
  joinsSeen: number
  /** The others in the room when it was welcomed (`(N here)` less itself). */
  before: number
  closed: boolean
  /** Last sequence number seen from each sender, by sender index. */
  readonly lastSeq: Int32Array
  /** Count of each (sender, seq) seen, to tell duplicates from reorders. */
  readonly seen: Array<Uint8Array>
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

export const run = async (options: LoadOptions): Promise<LoadResult> => {
  const cpuStart = process.cpuUsage()
  const receivers: Array<Receiver> = []
  const senderIndexByNick = new Map<string, number>()
  const expected = options.senders * options.messages * (options.clients - 1)
  const latencies = new Float64Array(expected)
  let delivered = 0
  let duplicates = 0
  let reordered = 0
  let lastProgress = performance.now()
  let welcomed = 0

  const onLine = (receiver: Receiver, line: string, now: number): void => {
    if (line.startsWith("<")) {
      const close = line.indexOf("> ")
      const sender = senderIndexByNick.get(line.slice(1, close))
      if (sender === undefined) return
      const rest = line.slice(close + 2)
      const space = rest.indexOf(" ")
      const seq = Number(rest.slice(0, space))
      const sentAt = Number(rest.slice(space + 1))
      const seen = receiver.seen[sender]!
      if (seen[seq] !== 0) {
        duplicates++
        return
      }
      seen[seq] = 1
      if (seq < receiver.lastSeq[sender]!) reordered++
      else receiver.lastSeq[sender] = seq
      if (delivered < expected) latencies[delivered] = now - sentAt
      delivered++
      lastProgress = now
    } else if (!receiver.welcomed && line.includes("you are ")) {
      receiver.nick = /you are (\S+)/.exec(line)?.[1] ?? ""
      receiver.before = Number(/\((\d+) here\)/.exec(line)?.[1] ?? 1) - 1
      receiver.welcomed = true
      welcomed++
    } else if (line.includes(" joined")) {
      receiver.joinsSeen++
    }
  }

  /**
   * Splits what arrived into lines, as bytes: only messages, and the notices
   * a receiver still needs (its welcome; joins for the first), are decoded.
   * With thousands of clients, everyone gets every join notice (N² lines),
   * and decoding each would make this, not the server, the bottleneck.
   */
  const onData = (receiver: Receiver, chunk: Buffer): void => {
    const now = performance.now()
    const data = receiver.partial === undefined ? chunk : Buffer.concat([receiver.partial, chunk])
    let start = 0
    for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
      const isMessage = data[start] === 60 // "<"
      if (isMessage || !receiver.welcomed || receiver.countsJoins) {
        onLine(receiver, data.toString("latin1", start, end), now)
      }
      start = end + 1
    }
    receiver.partial = start === data.length ? undefined : data.subarray(start)
  }

  let opened = 0
  const open = (): Promise<Receiver> =>
    new Promise((resolve, reject) => {
      const port = options.ports === undefined ? options.port : options.ports[opened % options.ports.length]!
      const socket = Net.connect({ host: options.host, port, noDelay: true })
      const receiver: Receiver = {
        socket,
        nick: "",
        partial: undefined,
        countsJoins: opened++ === 0,
        welcomed: false,
        joinsSeen: 0,
        before: 0,
        closed: false,
        lastSeq: new Int32Array(options.senders).fill(-1),
        seen: Array.from({ length: options.senders }, () => new Uint8Array(options.messages))
      }
      socket.on("data", (chunk: Buffer) => onData(receiver, chunk))
      socket.on("error", () => {})
      socket.on("close", () => {
        receiver.closed = true
      })
      socket.once("connect", () => resolve(receiver))
      socket.once("error", reject)
    })

  /**
   * Waits until `done`, or until nothing has progressed for `stallMillis`;
   * returns when the phase ended: now, or at its last progress if it gave up
   * (the wait for what never came is not the server's time).
   */
  const waitUntil = async (done: () => boolean, what: string): Promise<number> => {
    lastProgress = performance.now()
    let lastCount = -1
    while (!done()) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      const count = delivered + welcomed + (receivers[0]?.joinsSeen ?? 0)
      if (count !== lastCount) {
        lastCount = count
        lastProgress = performance.now()
      }
      if (performance.now() - lastProgress > options.stallMillis) {
        process.stderr.write(`load: gave up waiting for ${what}\n`)
        return lastProgress
      }
    }
    return performance.now()
  }

  // Connect and join: every join is announced to everyone already there.
  const joinStart = performance.now()
  for (let i = 0; i < options.clients; i += options.connectConcurrency) {
    const batch = Array.from({ length: Math.min(options.connectConcurrency, options.clients - i) }, open)
    receivers.push(...await Promise.all(batch))
  }
  const first = receivers[0]!
  const joined = await waitUntil(
    () => welcomed === options.clients && first.before + first.joinsSeen >= options.clients - 1,
    "every join"
  )
  const joinMillis = joined - joinStart

  await options.onJoined?.()
  const senders = receivers.slice(0, options.senders)
  senders.forEach((sender, index) => senderIndexByNick.set(sender.nick, index))

  // Send: at full speed, in batches that respect the socket's backpressure; or at a fixed rate.
  const sendStart = performance.now()
  const sendAll = (sender: Receiver): Promise<void> =>
    new Promise((resolve) => {
      let seq = 0
      if (options.rate > 0) {
        const timer = setInterval(() => {
          sender.socket.write(`${seq} ${performance.now().toFixed(3)}\n`)
          if (++seq === options.messages) {
            clearInterval(timer)
            resolve()
          }
        }, 1000 / options.rate)
        return
      }
      const pump = (): void => {
        while (seq < options.messages) {
          let batch = ""
          const now = performance.now().toFixed(3)
          for (let i = 0; i < 20 && seq < options.messages; i++) batch += `${seq++} ${now}\n`
          if (!sender.socket.write(batch)) {
            sender.socket.once("drain", pump)
            return
          }
        }
        resolve()
      }
      pump()
    })
  await Promise.all(senders.map(sendAll))
  const sent = await waitUntil(() => delivered >= expected, "every delivery")
  const sendMillis = sent - sendStart

  const disconnected = receivers.filter((receiver) => receiver.closed).length
  for (const receiver of receivers) receiver.socket.destroy()
  const sorted = latencies.subarray(0, Math.min(delivered, expected)).sort()
  const cpu = process.cpuUsage(cpuStart)
  return {
    clients: options.clients,
    connected: welcomed,
    joinMillis: Math.round(joinMillis),
    expected,
    delivered,
    lost: Math.max(0, expected - delivered),
    duplicates,
    reordered,
    sendMillis: Math.round(sendMillis),
    deliveriesPerSecond: Math.round(delivered / (sendMillis / 1000)),
    latencyP50: Number(percentile(sorted, 50).toFixed(3)),
    latencyP99: Number(percentile(sorted, 99).toFixed(3)),
    latencyMax: Number((sorted[sorted.length - 1] ?? 0).toFixed(3)),
    disconnected,
    loadCpuMillis: Math.round((cpu.user + cpu.system) / 1000)
  }
}

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}

if (process.argv[1]?.endsWith("load.ts")) {
  const result = await run({
    host: "127.0.0.1",
    port: argument("port", 8888),
    clients: argument("clients", 100),
    senders: argument("senders", 10),
    messages: argument("messages", 1000),
    rate: argument("rate", 0),
    connectConcurrency: argument("connect-concurrency", 100),
    stallMillis: argument("stall-ms", 10_000)
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
