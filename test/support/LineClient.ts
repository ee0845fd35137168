/**
 * A raw `node:net` client that speaks the line protocol the way `nc` does,
 * for end-to-end tests. Tests wait for specific lines (`line`, `until`,
 * `closed`) rather than sleeping; `expectNoLine` is only for the few places
 * that must assert silence.
 *
 * Every client is tracked: call `destroyAllClients` after each test (or,
 * for a file of concurrent tests, after all of them), and check that
 * `takeStrayLines` is empty: every line the server sent was one of the six
 * kinds of PROTOCOL.md and ended with `\n`.
 */
import * as Net from "node:net"
import * as Tls from "node:tls"
import { isProtocolLine } from "./Protocol.js"

/** How long `line` and friends wait before failing with what did arrive. */
const defaultWaitMs = 10_000

const open = new Set<Net.Socket>()

let strays: Array<string> = []

/**
 * Every line received since the last call that is none of the six kinds,
 * and any text the server left without its `\n` at close. Tests check that
 * this is empty after each test.
 */
export const takeStrayLines = (): Array<string> => {
  const taken = strays
  strays = []
  return taken
}

/** Destroys every client socket still open. */
export const destroyAllClients = (): void => {
  for (const socket of open) socket.destroy()
  open.clear()
}

interface Waiter {
  readonly wake: () => void
}

export class LineClient {
  private readonly lines: Array<string> = []
  private partial: Buffer = Buffer.alloc(0)
  private waiters: Array<Waiter> = []
  private ended = false
  private socketError: Error | undefined
  private readonly received: Array<string> = []
  private readonly observers: Array<(line: string) => void> = []

  private constructor(readonly socket: Net.Socket, readonly name: string) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("end", () => this.onEnd(true))
    socket.on("close", () => this.onEnd(false))
    socket.on("error", (error) => {
      this.socketError = error
    })
  }

  /**
   * Connects to `127.0.0.1:port` (or `host`), resolving once connected;
   * from `localAddress` if given (a loopback alias: 127.0.0.2...); with
   * `tls`, over TLS trusting the CA certificate `tls.ca` (PEM text),
   * resolving once the handshake is done.
   */
  static connect(port: number, options: ConnectOptions = {}): Promise<LineClient> {
    return new Promise<LineClient>((resolve, reject) => {
      const target = {
        host: options.host ?? "127.0.0.1",
        port,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress })
      }
      const socket = options.tls === undefined
        ? Net.createConnection(target)
        : Tls.connect({ ...target, ca: options.tls.ca })
      open.add(socket)
      socket.once("close", () => open.delete(socket))
      const onError = (error: Error) => reject(error)
      socket.once("error", onError)
      socket.once(options.tls === undefined ? "connect" : "secureConnect", () => {
        socket.off("error", onError)
        resolve(new LineClient(socket, options.name ?? `client:${socket.localPort}`))
      })
    })
  }

  /**
   * Connects and waits until the session is live: sends `/who` and reads up
   * to its answer. `welcome` is everything before it (the welcome notices and
   * the room's history); `nick` is the nick the first line named.
   */
  static async join(port: number, options: ConnectOptions = {}): Promise<LineClient & Joined> {
    const client = await LineClient.connect(port, options)
    const first = await client.line()
    const rest = await client.sync()
    const nick = /guest-\d+/.exec(first)?.[0] ?? ""
    return Object.assign(client, { nick, welcome: [first, ...rest.slice(0, -1)], who: rest.at(-1)! })
  }

  /**
   * The first client of a test: joins once the server has no other client
   * left (a server shared by several tests cleans up after the previous test
   * asynchronously). It is then `guest-1`, alone in `#lobby`, which has no
   * history, and no other room exists, exactly as on a fresh server.
   */
  static async alone(port: number): Promise<LineClient & Joined> {
    const deadline = performance.now() + 5_000
    while (true) {
      const client = await LineClient.join(port)
      let state = `nick ${client.nick}, ${JSON.stringify(client.welcome)}, ${JSON.stringify(client.who)}`
      if (
        client.nick === "guest-1" && client.who === "*** in #lobby: guest-1" &&
        client.welcome.every((line) => line.startsWith("*** "))
      ) {
        client.send("/rooms")
        const rooms = await client.line()
        if (rooms === "*** rooms: #lobby (1)") return client
        state = rooms
      }
      client.reset()
      if (performance.now() > deadline) throw new Error(`the server still has clients from an earlier test: ${state}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /**
   * `count` clients in `#lobby` of a server without clients (see `alone`),
   * `guest-1` to `guest-N`, joined one after another; each earlier client has
   * read the join notice of each later one, so all of them are quiet when
   * this resolves.
   */
  static async group(port: number, count: number): Promise<Array<LineClient & Joined>> {
    const clients: Array<LineClient & Joined> = []
    for (let i = 0; i < count; i++) {
      const client = i === 0 ? await LineClient.alone(port) : await LineClient.join(port)
      for (const earlier of clients) {
        const notice = await earlier.line()
        const expected = `*** ${client.nick} joined #lobby`
        if (notice !== expected) {
          throw new Error(`${earlier.name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(notice)}`)
        }
      }
      clients.push(client)
    }
    return clients
  }

  // -------------------------------------------------------------------------
  // Sending

  /** Sends one line: `text` and `\n`. */
  send(text: string): void {
    this.socket.write(`${text}\n`)
  }

  /** Sends bytes exactly as given. */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.socket.write(data, (error) => error ? reject(error) : resolve())
    })
  }

  /** Sends `lines`, each with its `\n`, `per` lines to a write, each write taken before the next. */
  async writeLines(lines: ReadonlyArray<string>, per = lines.length): Promise<void> {
    for (let i = 0; i < lines.length; i += per) {
      await this.write(lines.slice(i, i + per).map((line) => `${line}\n`).join(""))
    }
  }

  /** Sends `/who` and returns every line up to and including its answer: the server has handled all before it. */
  sync(): Promise<Array<string>> {
    this.send("/who")
    return this.until((line) => line.startsWith("*** in #"))
  }

  /** Ends the stream (a FIN); the client can still read. */
  end(): void {
    this.socket.end()
  }

  /** Closes the connection with a reset (RST). */
  reset(): void {
    this.socket.resetAndDestroy()
  }

  /** Stops reading: the kernel's buffers fill and then the server's queue. */
  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  // -------------------------------------------------------------------------
  // Receiving

  /** The next line, without its `\n`. Fails if the connection closes first. */
  async line(waitMs = defaultWaitMs): Promise<string> {
    await this.waitFor(() => this.lines.length > 0 || this.ended, waitMs, "a line")
    const next = this.lines.shift()
    if (next === undefined) {
      throw new Error(`${this.name}: the connection closed while waiting for a line${this.context()}`)
    }
    return next
  }

  /** Lines up to and including the first that matches. */
  async until(predicate: (line: string) => boolean, waitMs = defaultWaitMs): Promise<Array<string>> {
    const deadline = performance.now() + waitMs
    const seen: Array<string> = []
    while (true) {
      const left = Math.max(0, deadline - performance.now())
      const next = await this.line(left).catch((error: Error) => {
        throw new Error(`${error.message}\n  (until: no match among ${seen.length} lines: ${preview(seen)})`)
      })
      seen.push(next)
      if (predicate(next)) return seen
    }
  }

  /** The next `count` lines. */
  async take(count: number, waitMs = defaultWaitMs): Promise<Array<string>> {
    const deadline = performance.now() + waitMs
    const out: Array<string> = []
    while (out.length < count) out.push(await this.line(Math.max(0, deadline - performance.now())))
    return out
  }

  /** Fails if a line arrives within `ms`. */
  async expectNoLine(ms = 150): Promise<void> {
    const arrived = await this.waitFor(() => this.lines.length > 0, ms, "").then(() => true, () => false)
    if (arrived) throw new Error(`${this.name}: expected no line, got ${JSON.stringify(this.lines[0])}`)
  }

  /**
   * Resolves when the server has closed the connection (an end of stream, a
   * reset or an error), with the lines not yet taken.
   */
  async closed(waitMs = defaultWaitMs): Promise<Array<string>> {
    await this.waitFor(() => this.ended, waitMs, "the server to close the connection")
    return this.lines.splice(0)
  }

  /** Calls `observer` with each line as it arrives, whether or not a test has taken it yet. */
  observe(observer: (line: string) => void): void {
    this.observers.push(observer)
  }

  /** Whether the server has closed the connection. */
  get isClosed(): boolean {
    return this.ended
  }

  /** Bytes received after the last `\n`: a line the server did not end. */
  get unterminated(): string {
    return this.partial.toString("utf8")
  }

  /** The socket error that ended the connection, if any (ECONNRESET for a reset). */
  get error(): Error | undefined {
    return this.socketError
  }

  // -------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    let data = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk])
    let newline = data.indexOf(0x0a)
    while (newline !== -1) {
      const line = data.toString("utf8", 0, newline)
      if (!isProtocolLine(line)) strays.push(`${this.name}: ${JSON.stringify(line.slice(0, 200))}`)
      this.lines.push(line)
      for (const observer of this.observers) observer(line)
      this.received.push(line)
      if (this.received.length > 20) this.received.shift()
      data = data.subarray(newline + 1)
      newline = data.indexOf(0x0a)
    }
    this.partial = Buffer.from(data)
    this.wakeAll()
  }

  private onEnd(endOfStream: boolean): void {
    if (endOfStream && !this.ended && this.partial.length > 0) {
      strays.push(`${this.name}: unterminated at close: ${JSON.stringify(this.partial.toString("utf8").slice(0, 200))}`)
    }
    this.ended = true
    this.wakeAll()
  }

  private wakeAll(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter.wake()
  }

  private waitFor(ready: () => boolean, waitMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          if (ready()) {
            clearTimeout(timer)
            resolve()
          } else {
            this.waiters.push(waiter)
          }
        }
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`${this.name}: waited ${Math.round(waitMs)} ms for ${what}${this.context()}`))
      }, waitMs)
      this.waiters.push(waiter)
    })
  }

  private context(): string {
    const partial = this.partial.length > 0 ? `; partial line ${JSON.stringify(this.partial.toString("utf8"))}` : ""
    return `; last lines received: ${preview(this.received)}${partial}${this.ended ? "; connection closed" : ""}`
  }
}

export interface ConnectOptions {
  readonly host?: string
  readonly name?: string
  /** The address to connect from: a loopback alias (127.0.0.2...) is another client address. */
  readonly localAddress?: string
  /** Over TLS, trusting `ca` (PEM text). */
  readonly tls?: { readonly ca: string }
}

export interface Joined {
  /** The guest nick the first line named. */
  readonly nick: string
  /** The lines before the answer to `/who`: the welcome notices, then the history. */
  readonly welcome: ReadonlyArray<string>
  /** The answer to `/who`. */
  readonly who: string
}

const preview = (lines: ReadonlyArray<string>): string =>
  JSON.stringify(lines.slice(-10).map((line) => line.length > 80 ? `${line.slice(0, 80)}…` : line))
