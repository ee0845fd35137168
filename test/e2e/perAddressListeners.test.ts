/**
 * `--max-per-address` counts every listener together, and each refuses in
 * its own protocol: the line protocol's `!` line, IRC's `ERROR`, a WebSocket
 * message. Clients come from a loopback alias (127.0.0.5), and nobody is
 * exempt.
 */
import * as Net from "node:net"
import { afterAll, assert, describe, it } from "vitest"
import WebSocket from "ws"
import { ircPortOf } from "../support/IrcClient.js"
import { destroyAllClients, LineClient } from "../support/LineClient.js"
import { stopAllProcesses } from "../support/ServerProcess.js"
import { startWebServer } from "../support/WebServer.js"

const from = "127.0.0.5"

afterAll(async () => {
  destroyAllClients()
  await stopAllProcesses()
})

/** Everything a raw TCP client from `from` reads until the server closes it. */
const readToClose = (port: number, send = ""): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = Net.createConnection({ host: "127.0.0.1", port, localAddress: from })
    let text = ""
    socket.setEncoding("utf8")
    socket.on("connect", () => socket.write(send))
    socket.on("data", (chunk: string) => {
      text += chunk
    })
    socket.on("error", reject)
    socket.on("close", () => resolve(text))
  })

/** The frames a WebSocket client from `from` gets until the server closes it. */
const wsToClose = (url: string): Promise<Array<string>> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress: from })
    const frames: Array<string> = []
    socket.on("message", (data: WebSocket.RawData) => frames.push(Buffer.from(data as Buffer).toString("utf8")))
    socket.on("error", reject)
    socket.on("close", () => resolve(frames))
  })

describe("--max-per-address on every listener", () => {
  it("refuses IRC and WebSocket clients past it, each in its own words, while a line client holds the slot", async () => {
    const server = await startWebServer(["--max-per-address", "1", "--exempt-addresses", "", "--irc-port", "0"])
    const ircPort = await ircPortOf(server)
    const holder = await LineClient.connect(server.port, { localAddress: from })
    assert.match(await holder.line(), /^\*\*\* welcome to chat, you are guest-1/)

    assert.strictEqual(
      await readToClose(ircPort, "NICK bob\r\nUSER bob 0 * :Bob\r\n"),
      "ERROR :too many connections from your address\r\n"
    )
    assert.deepStrictEqual(await wsToClose(server.wsUrl), [JSON.stringify({ type: "tooMany" })])
    assert.strictEqual(await readToClose(server.port), "! too many connections from your address\n")

    // Once the holder goes, the address may connect again, over IRC too.
    holder.send("/quit")
    assert.strictEqual((await holder.closed()).at(-1), "*** bye")
    const irc = await readToClose(ircPort, "QUIT\r\n")
    assert.notInclude(irc, "too many connections")
  })
})
