/**
 * A raw IRC client over `node:net`, for end-to-end tests of `chat serve
 * --irc-port`: it sends lines as an IRC client would and reads the server's
 * lines as messages (`source`, `command`, `params`). Tests wait for a
 * specific message (`next`, `until`, `closed`), never a delay; `quiet` is
 * only for the few places that must assert silence.
 *
 * Every client is tracked: call `destroyAllIrcClients` after each test.
 * Every line the server sends must end in CR LF: `unterminated` holds any
 * text left without it at close.
 */
import * as Net from "node:net"
import type { ServerProcess } from "./ServerProcess.js"

const defaultWaitMs = 10_000

const open = new Set<Net.Socket>()

/** Destroys every IRC client socket still open. */
export const destroyAllIrcClients = (): void => {
  for (const socket of open) socket.destroy()
  open.clear()
}

export interface Message {
  /** The line as received, without CR LF. */
  readonly raw: string
  readonly source: string | undefined
  readonly command: string
  readonly params: ReadonlyArray<string>
}

/** Reads one server line as a message. */
export const parseMessage = (raw: string): Message => {
  let rest = raw
  let source: string | undefined
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ")
    source = rest.slice(1, space)
    rest = rest.slice(space + 1)
  }
  const params: Array<string> = []
  let command = ""
  while (rest !== "") {
    if (command !== "" && rest.startsWith(":")) {
      params.push(rest.slice(1))
      break
    }
    const space = rest.indexOf(" ")
    const word = space === -1 ? rest : rest.slice(0, space)
    rest = space === -1 ? "" : rest.slice(space + 1)
    if (command === "") command = word
    else params.push(word)
  }
  return { raw, source, command, params }
}

export class IrcClient {
  private readonly messages: Array<Message> = []
  private partial = ""
  private ended = false
  private waiters: Array<() => void> = []
  /** Every message received, in order, for failure reports. */
  readonly received: Array<Message> = []
  /** Text received without its CR LF (a protocol violation unless empty). */
  badEndings = 0

  private constructor(readonly socket: Net.Socket) {
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => this.onData(chunk))
    socket.on("close", () => {
      this.ended = true
      this.wake()
    })
    socket.on("error", () => {})
  }

  static connect(port: number): Promise<IrcClient> {
    return new Promise<IrcClient>((resolve, reject) => {
      const socket = Net.createConnection({ host: "127.0.0.1", port })
      open.add(socket)
      socket.once("close", () => open.delete(socket))
      socket.once("error", reject)
      socket.once("connect", () => {
        socket.off("error", reject)
        resolve(new IrcClient(socket))
      })
    })
  }

  /** Connects and registers as `nick`, reading up to the end of the welcome burst (`422`). */
  static async register(port: number, nick: string): Promise<IrcClient> {
    const client = await IrcClient.connect(port)
    client.send(`NICK ${nick}`)
    client.send(`USER ${nick} 0 * :${nick} tester`)
    await client.until((m) => m.command === "422" || m.command === "376")
    return client
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`)
  }

  /** The next message. */
  async next(waitMs = defaultWaitMs): Promise<Message> {
    await this.waitFor(() => this.messages.length > 0, waitMs, "a message")
    return this.messages.shift()!
  }

  /** Messages up to and including the first that `done` accepts. */
  async until(done: (message: Message) => boolean, waitMs = defaultWaitMs): Promise<Array<Message>> {
    await this.waitFor(() => this.messages.some(done), waitMs, "the expected message")
    const index = this.messages.findIndex(done)
    return this.messages.splice(0, index + 1)
  }

  /** Messages up to and including the first with `command`, which is the last. */
  async upTo(command: string, waitMs = defaultWaitMs): Promise<Array<Message>> {
    return this.until((m) => m.command === command, waitMs)
  }

  /** Sends `PING token` and returns everything before its `PONG`: all the answers to what was sent before. */
  async sync(token = "sync"): Promise<Array<Message>> {
    this.send(`PING ${token}`)
    const got = await this.until((m) => m.command === "PONG" && m.params.at(-1) === token)
    return got.slice(0, -1)
  }

  /** Waits for the server to close the connection; returns what it sent before. */
  async closed(waitMs = defaultWaitMs): Promise<Array<Message>> {
    await this.waitFor(() => this.ended, waitMs, "the connection to close")
    return this.messages.splice(0)
  }

  /** Asserts nothing arrives for `ms`. */
  async quiet(ms = 150): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms))
    if (this.messages.length > 0) throw new Error(`unexpected: ${this.messages.map((m) => m.raw).join(" | ")}`)
  }

  get isClosed(): boolean {
    return this.ended
  }

  private onData(chunk: string): void {
    const text = this.partial + chunk
    const lines = text.split("\r\n")
    this.partial = lines.pop()!
    for (const raw of lines) {
      if (raw.includes("\n")) this.badEndings++
      const message = parseMessage(raw)
      this.messages.push(message)
      this.received.push(message)
    }
    this.wake()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  private waitFor(ready: () => boolean, waitMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `timed out after ${waitMs} ms waiting for ${what}; last received:\n${
              this.received.slice(-15).map((m) => m.raw).join("\n")
            }`
          )
        )
      }, waitMs)
      const check = () => {
        if (ready()) {
          clearTimeout(timer)
          resolve()
        } else if (this.ended) {
          clearTimeout(timer)
          reject(new Error(`connection closed while waiting for ${what}`))
        } else {
          this.waiters.push(check)
        }
      }
      check()
    })
  }
}

/** The IRC port a `chat serve --irc-port 0` logged (`irc listening on HOST:PORT`), once it logs it. */
export const ircPortOf = (server: ServerProcess, waitMs = defaultWaitMs): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const stderr = server.process.stderr
    const timer = setTimeout(() => {
      stderr?.off("data", check)
      reject(new Error(`no "irc listening on" line in:\n${server.stderr()}`))
    }, waitMs)
    const check = () => {
      const match = /irc listening on \S+:(\d+)/.exec(server.stderr())
      if (match === null) return
      clearTimeout(timer)
      stderr?.off("data", check)
      resolve(Number(match[1]))
    }
    stderr?.on("data", check)
    check()
  })
