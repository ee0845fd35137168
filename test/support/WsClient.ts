/**
 * A WebSocket client for end-to-end tests of the web listener (Node 20 has
 * no global WebSocket client; this is the `ws` package's). Every frame the
 * server sends is decoded with the protocol's own Schema, so a frame that
 * is not a `ServerMessage` fails the wait that meets it. Tests wait for a
 * specific message (`until`), never for a delay.
 */
import { Either } from "effect"
import WebSocket from "ws"
import type { ClientMessage, ServerMessage } from "../../src/protocol/ws/WsMessage.js"
import * as WsMessage from "../../src/protocol/ws/WsMessage.js"

const defaultWaitMs = 10_000

const open = new Set<WebSocket>()

/** Closes every client still open. */
export const closeAllWsClients = (): void => {
  for (const socket of open) socket.terminate()
  open.clear()
}

export interface Closed {
  readonly code: number
  readonly reason: string
}

export class WsClient {
  /** Every message received, in order. */
  readonly received: Array<ServerMessage> = []
  /** Frames that did not decode as a `ServerMessage`. */
  readonly strays: Array<string> = []
  private cursor = 0
  private waiters: Array<() => void> = []
  private closedWith: Closed | undefined

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString()
      const decoded = isBinary ? undefined : WsMessage.decodeServer(text)
      if (decoded !== undefined && Either.isRight(decoded)) this.received.push(decoded.right)
      else this.strays.push(text)
      this.wake()
    })
    socket.on("close", (code, reason) => {
      this.closedWith = { code, reason: reason.toString() }
      this.wake()
    })
    socket.on("error", () => {})
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  /** Opens `url` (`ws://host:port/ws`), with `origin` if given; rejects with the HTTP status if refused. */
  static connect(url: string, options: { readonly origin?: string } = {}): Promise<WsClient> {
    return new Promise<WsClient>((resolve, reject) => {
      const socket = new WebSocket(url, options.origin === undefined ? {} : { origin: options.origin })
      open.add(socket)
      socket.once("close", () => open.delete(socket))
      socket.once("unexpected-response", (_request, response) => {
        reject(new Error(`refused: ${response.statusCode}`))
        socket.terminate()
      })
      socket.once("error", reject)
      socket.once("open", () => {
        socket.off("error", reject)
        resolve(new WsClient(socket))
      })
    })
  }

  /** Connects, and waits for the welcome. */
  static async join(url: string, nick: string, room = "lobby"): Promise<WsClient> {
    const client = await WsClient.connect(url)
    await client.until((m) => m.type === "welcome")
    client.send({ type: "nick", nick })
    await client.until((m) => (m.type === "nick" && m.nick === nick) || m.type === "error")
    client.send({ type: "join", room })
    await client.until((m) => m.type === "entered" && m.room === room)
    return client
  }

  send(message: ClientMessage): void {
    this.socket.send(JSON.stringify(message))
  }

  sendRaw(data: string | Buffer, options: { readonly binary?: boolean } = {}): void {
    this.socket.send(data, { binary: options.binary ?? false })
  }

  /** Messages up to and including the first (not yet read) that satisfies `predicate`. */
  until(predicate: (message: ServerMessage) => boolean, waitMs = defaultWaitMs): Promise<Array<ServerMessage>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`no such message within ${waitMs} ms; got:\n${JSON.stringify(this.received.slice(this.cursor))}`)
        )
      }, waitMs)
      const check = (): void => {
        while (this.cursor < this.received.length) {
          const message = this.received[this.cursor]!
          this.cursor += 1
          if (predicate(message)) {
            clearTimeout(timer)
            return resolve(this.received.slice(0, this.cursor))
          }
        }
        if (this.closedWith !== undefined) {
          clearTimeout(timer)
          return reject(new Error(`closed (${this.closedWith.code}) before such a message`))
        }
        this.waiters.push(check)
      }
      check()
    })
  }

  /** Waits for the server to close the connection. */
  closed(waitMs = defaultWaitMs): Promise<Closed> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still open after ${waitMs} ms`)), waitMs)
      const check = (): void => {
        if (this.closedWith !== undefined) {
          clearTimeout(timer)
          return resolve(this.closedWith)
        }
        this.waiters.push(check)
      }
      check()
    })
  }
}
