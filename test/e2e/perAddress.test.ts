/**
 * PROTOCOL.md, "Limits and policies": connections per client address
 * (`--max-per-address`, `--exempt-addresses`), on every listener together.
 *
 * Clients come from loopback aliases (127.0.0.2, 127.0.0.3...: Linux routes
 * all of 127.0.0.0/8 to loopback), each another client address; loopback
 * being exempt by default, these servers exempt nobody or only 127.0.0.1.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import type { TestCertificates } from "../support/Certificates.js"
import { hasOpenssl, makeCertificates } from "../support/Certificates.js"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { countLogs, waitForLog } from "../support/ServerLog.js"
import { runChat, startServer, stopAllProcesses } from "../support/ServerProcess.js"

const certs: TestCertificates | undefined = hasOpenssl ? makeCertificates() : undefined

/**
 * Each test starts servers and `chat` processes; on a loaded machine (two
 * cores shared with other work) a process can take seconds to start.
 */
const slow = 60_000

afterAll(async () => {
  destroyAllClients()
  await stopAllProcesses()
  certs?.remove()
  assert.deepStrictEqual(takeStrayLines(), [])
})

const tooMany = "! too many connections from your address"

/**
 * Joins from `localAddress`, trying again while the server still counts a
 * connection that has just ended there (it gives the count back right after
 * the client's leave is announced). Fails if it is still refused after 3 s:
 * then the count was never given back.
 */
const joinWhenFree = async (port: number, localAddress: string) => {
  const deadline = performance.now() + 3_000
  while (true) {
    const client = await LineClient.connect(port, { localAddress })
    const first = await client.line()
    if (first !== tooMany) {
      await client.sync()
      return Object.assign(client, { nick: /guest-\d+/.exec(first)?.[0] ?? "", first })
    }
    await client.closed()
    if (performance.now() > deadline) throw new Error(`${localAddress} is still refused: its count was not given back`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A connection from `localAddress` that must be refused. */
const expectRefused = async (port: number, localAddress: string) => {
  const client = await LineClient.connect(port, { localAddress })
  assert.deepStrictEqual(await client.closed(), [tooMany])
}

describe.concurrent("--max-per-address", { timeout: slow }, () => {
  it("by default loopback is exempt: 20 clients from 127.0.0.1 all get in", async () => {
    const server = await startServer()
    const clients = await Promise.all(Array.from({ length: 20 }, () => LineClient.join(server.port)))
    assert.lengthOf(clients.map((client) => client.nick).sort(), 20)
    assert.strictEqual(countLogs(server, /refused a connection/g), 0)
  })

  it("`! too many connections from your address`, then close; other addresses and the open ones carry on; logged once a minute", async () => {
    const server = await startServer(["--exempt-addresses", "", "--max-per-address", "2"])
    const a = await LineClient.join(server.port, { localAddress: "127.0.0.2" })
    const b = await LineClient.join(server.port, { localAddress: "127.0.0.2" })
    assert.strictEqual(await a.line(), `*** ${b.nick} joined #lobby`)

    await expectRefused(server.port, "127.0.0.2")
    await expectRefused(server.port, "127.0.0.2")
    const c = await LineClient.join(server.port, { localAddress: "127.0.0.3" })
    const d = await LineClient.join(server.port, { localAddress: "127.0.0.3" })
    await expectRefused(server.port, "127.0.0.3")
    // Loopback itself is not exempt either here.
    await LineClient.join(server.port)
    await LineClient.join(server.port)
    await expectRefused(server.port, "127.0.0.1")

    a.send("still here")
    await b.until((line) => line === `<${a.nick}> still here`)
    d.send("me too")
    await c.until((line) => line === `<${d.nick}> me too`)

    // One line per address in the minute, however many were refused.
    await waitForLog(server, /refused a connection from 127\.0\.0\.3/)
    assert.strictEqual(
      countLogs(server, /refused a connection from 127\.0\.0\.2: 2 already open \(--max-per-address\)/g),
      1
    )
    assert.strictEqual(countLogs(server, /refused a connection from 127\.0\.0\.3/g), 1)
    assert.strictEqual(countLogs(server, /refused a connection from 127\.0\.0\.1/g), 1)
  })

  it("exempts the addresses and ranges of --exempt-addresses only", async () => {
    const server = await startServer(["--exempt-addresses", "127.0.0.4/31,::1", "--max-per-address", "1"])
    // 127.0.0.4/31 is 127.0.0.4 and 127.0.0.5.
    for (const address of ["127.0.0.4", "127.0.0.4", "127.0.0.5", "127.0.0.5"]) {
      await LineClient.join(server.port, { localAddress: address })
    }
    await LineClient.join(server.port, { localAddress: "127.0.0.6" })
    await expectRefused(server.port, "127.0.0.6")
    await LineClient.join(server.port)
    await expectRefused(server.port, "127.0.0.1")
  })

  it("counts the connections of every listener together: TLS and plain TCP", async () => {
    if (certs === undefined) return
    const server = await startServer([
      "--exempt-addresses",
      "",
      "--max-per-address",
      "2",
      "--tls-port",
      "0",
      "--tls-cert",
      certs.server.cert,
      "--tls-key",
      certs.server.key
    ])
    const tlsPort = Number((await waitForLog(server, /tls listening on \S+:(\d+)/))[1])
    const tls = { ca: Fs.readFileSync(Path.join(certs.ca), "utf8") }
    await LineClient.join(tlsPort, { localAddress: "127.0.0.2", tls })
    await LineClient.join(server.port, { localAddress: "127.0.0.2" })
    await expectRefused(server.port, "127.0.0.2")
    const overTls = await LineClient.connect(tlsPort, { localAddress: "127.0.0.2", tls })
    assert.deepStrictEqual(await overTls.closed(), [tooMany])
  })

  it("gives the count back however a connection ends: end of stream, reset, quit, too slow", async () => {
    // 127.0.0.1 (the flooder) is exempt; 127.0.0.2 may have one connection.
    const server = await startServer([
      "--exempt-addresses",
      "127.0.0.1",
      "--max-per-address",
      "1",
      "--rate",
      "0",
      "--max-queue",
      "20"
    ])
    const watcher = await LineClient.join(server.port)
    const leftAs = async (client: { readonly nick: string }, reason: string) => {
      await watcher.until((line) => line === `*** ${client.nick} left #lobby (${reason})`)
    }

    let occupant = await joinWhenFree(server.port, "127.0.0.2")
    await expectRefused(server.port, "127.0.0.2")
    // End of stream (FIN).
    occupant.end()
    await leftAs(occupant, "connection closed")
    occupant = await joinWhenFree(server.port, "127.0.0.2")
    await expectRefused(server.port, "127.0.0.2")
    // Reset (RST).
    occupant.reset()
    occupant = await joinWhenFree(server.port, "127.0.0.2")
    await expectRefused(server.port, "127.0.0.2")
    // Quit.
    occupant.send("/quit")
    assert.include(await occupant.closed(), "*** bye")
    occupant = await joinWhenFree(server.port, "127.0.0.2")
    await expectRefused(server.port, "127.0.0.2")
    // Too slow: it stops reading while the watcher floods the room.
    occupant.pause()
    const line = "x".repeat(4000)
    let cutOff = false
    watcher.observe((seen) => {
      if (seen.endsWith("left #lobby (too slow)")) cutOff = true
    })
    for (let round = 0; round < 2000 && !cutOff; round++) {
      await watcher.writeLines(Array.from({ length: 50 }, () => line))
      await new Promise((resolve) => setImmediate(resolve))
    }
    assert.strictEqual(cutOff, true)
    occupant.reset()
    const back = await joinWhenFree(server.port, "127.0.0.2")
    assert.match(back.first, /^\*\*\* welcome to chat/)
  })

  it("gives the count back when a client is disconnected for idling", async () => {
    const server = await startServer(["--exempt-addresses", "", "--max-per-address", "1", "--idle-timeout", "1s"])
    const sleeper = await LineClient.join(server.port, { localAddress: "127.0.0.2" })
    await expectRefused(server.port, "127.0.0.2")
    assert.include(await sleeper.until((line) => line.startsWith("*** disconnected")), "*** disconnected: idle for 1s")
    await sleeper.closed()
    const back = await joinWhenFree(server.port, "127.0.0.2")
    assert.match(back.nick, /^guest-/)
  })
})

describe.concurrent("per-address options are checked at start", { timeout: slow }, () => {
  const refused = async (args: ReadonlyArray<string>, message: RegExp) => {
    const run = await runChat(["serve", "--port", "0", ...args], { timeoutMs: slow })
    assert.strictEqual(run.code, 1)
    assert.lengthOf(run.stderr.trimEnd().split("\n"), 1)
    assert.match(run.stderr, message)
  }

  it("a limit under 1, a range that is not one", async () => {
    await Promise.all([
      refused(["--max-per-address", "0"], /^chat: --max-per-address must be a whole number of at least 1, got 0/),
      refused(["--exempt-addresses", "10.0.0.0/33"], /^chat: --exempt-addresses "10\.0\.0\.0\/33": the prefix length/),
      refused(["--exempt-addresses", "127.0.0.1,localhost"], /^chat: --exempt-addresses "localhost" is not an address/),
      refused(["--exempt-addresses", "fe80::1::2"], /^chat: --exempt-addresses "fe80::1::2" is not an address/)
    ])
  })
})
