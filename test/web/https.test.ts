/**
 * The web listener over TLS (`--https-port`, with the certificates of
 * `--tls-cert`/`--tls-key`): the page and `/healthz` over HTTPS, the chat
 * over WSS with a line client beside it, and nothing in plain HTTP on that
 * port. Certificates are made by openssl at test time.
 */
import * as Fs from "node:fs"
import * as Https from "node:https"
import { afterAll, assert, describe, it } from "vitest"
import WebSocket from "ws"
import type { TestCertificates } from "../support/Certificates.js"
import { hasOpenssl, makeCertificates } from "../support/Certificates.js"
import { destroyAllClients, LineClient } from "../support/LineClient.js"
import { waitForLog } from "../support/ServerLog.js"
import { runChat, startServer, stopAllProcesses } from "../support/ServerProcess.js"

const certs: TestCertificates | undefined = hasOpenssl ? makeCertificates() : undefined

afterAll(async () => {
  destroyAllClients()
  await stopAllProcesses()
  certs?.remove()
})

const get = (url: string, ca: string): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    Https.get(url, { ca }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        body += chunk
      })
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }))
    }).on("error", reject)
  })

describe.skipIf(certs === undefined)("the web chat over HTTPS and WSS", () => {
  it("serves the page and /healthz over HTTPS, and the chat over WSS beside a line client", async () => {
    const server = await startServer([
      "--https-port",
      "0",
      "--tls-cert",
      certs!.server.cert,
      "--tls-key",
      certs!.server.key
    ])
    const match = await waitForLog(server, /web chat on https:\/\/127\.0\.0\.1:(\d+)\//)
    const port = Number(match[1])
    const ca = Fs.readFileSync(certs!.ca, "utf8")

    const health = await get(`https://127.0.0.1:${port}/healthz`, ca)
    assert.strictEqual(health.status, 200)
    const page = await get(`https://127.0.0.1:${port}/`, ca)
    assert.strictEqual(page.status, 200)
    assert.include(page.body, "<html")

    const bob = await LineClient.connect(server.port)
    await bob.sync()
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca })
    const received: Array<{ readonly type: string; readonly text?: string }> = []
    const welcomed = new Promise<void>((resolve) => {
      ws.on("message", (data: WebSocket.RawData) => {
        const message = JSON.parse(Buffer.from(data as Buffer).toString("utf8")) as { type: string; text?: string }
        received.push(message)
        if (message.type === "entered") resolve()
      })
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
    })
    ws.send(JSON.stringify({ type: "nick", nick: "alice" }))
    ws.send(JSON.stringify({ type: "join", room: "lobby" }))
    await welcomed
    ws.send(JSON.stringify({ type: "say", text: "hello over wss" }))
    assert.strictEqual((await bob.until((line) => line.startsWith("<alice>"))).at(-1), "<alice> hello over wss")
    bob.send("hi alice")
    await new Promise<void>((resolve) => {
      const check = () => received.some((m) => m.type === "message" && m.text === "hi alice") ? resolve() : undefined
      ws.on("message", check)
      check()
    })
    ws.close()
  })

  it("refuses to start without a certificate: one line, exit 1", async () => {
    const result = await runChat(["serve", "--port", "0", "--https-port", "0"])
    assert.strictEqual(result.code, 1)
    assert.strictEqual(result.stderr.trim(), "chat: --https-port needs --tls-cert FILE and --tls-key FILE")
  })
})
