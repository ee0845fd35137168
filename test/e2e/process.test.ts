/**
 * PROTOCOL.md, "The server process" and shutdown: signals, bad options, a
 * port in use, `--help`.
 */
import * as Net from "node:net"
import { afterAll, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { runChat, startServer, stopAllProcesses } from "../support/ServerProcess.js"

// Each test has its own processes and mostly waits for them, so the tests run
// concurrently; everything still running is killed at the end.
afterAll(async () => {
  destroyAllClients()
  await stopAllProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})

const shuttingDown = "*** server shutting down"

/** Fails unless connecting to `port` is refused: nothing listens there. */
const expectNothingListening = async (port: number) => {
  const refused = await LineClient.connect(port).then(
    (client) => {
      client.reset()
      return false
    },
    (error: NodeJS.ErrnoException) => error.code === "ECONNREFUSED"
  )
  assert.strictEqual(refused, true, `something listens on ${port}`)
}

describe.concurrent("shutdown", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: every client gets \`${shuttingDown}\` then close, no leave notices, exit 0`, async () => {
      const server = await startServer()
      const [a, b, c] = await LineClient.group(server.port, 3)
      c!.send("/join dev")
      assert.strictEqual(await c!.line(), "*** joined #dev (1 here: guest-3)")
      assert.strictEqual(await a!.line(), "*** guest-3 left #lobby (joined #dev)")
      assert.strictEqual(await b!.line(), "*** guest-3 left #lobby (joined #dev)")

      const stopping = server.stop(signal)
      for (const client of [a!, b!, c!]) {
        assert.strictEqual(await client.line(), shuttingDown)
        assert.deepStrictEqual(await client.closed(), [])
      }
      const exit = await stopping
      assert.strictEqual(exit.code, 0)
      assert.isBelow(exit.ms, 5_000)
    })
  }

  it("exits 0 within 5 s with a client that stopped reading while another floods", async () => {
    // No flood control and a queue that never overflows: the slow reader stays connected, stuck.
    const server = await startServer(["--rate", "0", "--max-queue", "100000"])
    const [slow, flooder, reader] = await LineClient.group(server.port, 3)
    slow!.pause()
    // 12 MB: far more than the kernel buffers for the slow reader hold; still flooding at the signal.
    const padding = "z".repeat(4000)
    void flooder!.write(Array.from({ length: 3000 }, (_, i) => `${i} ${padding}\n`).join("")).catch(() => {})
    await reader!.until((line) => line.startsWith("<guest-2> 1500 "))

    const exit = await server.stop("SIGTERM")
    assert.strictEqual(exit.code, 0)
    assert.isBelow(exit.ms, 5_000)
    const rest = await reader!.closed()
    assert.include(rest, shuttingDown)
    assert.deepStrictEqual(rest.slice(rest.indexOf(shuttingDown) + 1), [])
    assert.deepStrictEqual(rest.filter((line) => line.includes(" left #")), [])
  })

  it("exits 0 within 5 s with a client that never reads and a client in the middle of a line", async () => {
    const server = await startServer(["--rate", "0", "--max-queue", "100000"])
    const [slow, sender, partial] = await LineClient.group(server.port, 3)
    slow!.pause()
    const padding = "w".repeat(4000)
    await sender!.write(Array.from({ length: 2000 }, (_, i) => `${i} ${padding}\n`).join(""))
    await partial!.write("no newline yet")
    await partial!.until((line) => line.startsWith("<guest-2> 1999 "))
    const exit = await server.stop("SIGINT")
    assert.strictEqual(exit.code, 0)
    assert.isBelow(exit.ms, 5_000)
  })

  it("no longer listens once it has exited", async () => {
    const server = await startServer()
    const [a] = await LineClient.group(server.port, 1)
    const stopping = server.stop("SIGTERM")
    assert.strictEqual(await a!.line(), shuttingDown)
    assert.strictEqual((await stopping).code, 0)
    await expectNothingListening(server.port)
  })
})

describe.concurrent("bad options", () => {
  for (
    const [name, args] of [
      ["--port 70000", ["--port", "70000"]],
      ["--rate -1", ["--rate", "-1"]],
      ["--frob", ["--frob"]]
    ] as const
  ) {
    // "Nothing listening" is the absence of `listening on`: once the process has exited, a
    // connection test would pass whatever it had done.
    it(`${name}: one line on stderr, exit 1, nothing listening`, async () => {
      const portArgs = name.startsWith("--port") ? [] : ["--port", "0"]
      const result = await runChat(["serve", ...portArgs, ...args])
      assert.strictEqual(result.code, 1)
      assert.lengthOf(result.stderr.trim().split("\n"), 1, result.stderr)
      assert.notInclude(result.stderr, "listening on")
    })
  }

  it("a port in use: `cannot listen on 127.0.0.1:PORT: address in use`, exit 1", async () => {
    const blocker = Net.createServer()
    await new Promise<void>((resolve) => blocker.listen({ host: "127.0.0.1", port: 0 }, resolve))
    const address = blocker.address()
    const port = address !== null && typeof address === "object" ? address.port : 0
    const result = await runChat(["serve", "--port", String(port)]).finally(() => blocker.close())
    assert.strictEqual(result.code, 1)
    assert.include(result.stderr, `cannot listen on 127.0.0.1:${port}: address in use`)
    assert.lengthOf(result.stderr.trim().split("\n"), 1, result.stderr)
    assert.notInclude(result.stderr, "listening on")
  })

  it("a port in use by another chat server", async () => {
    const first = await startServer()
    const result = await runChat(["serve", "--port", String(first.port)])
    assert.strictEqual(result.code, 1)
    assert.include(result.stderr, `cannot listen on 127.0.0.1:${first.port}: address in use`)
    // The first server is unharmed.
    const client = await LineClient.join(first.port)
    assert.strictEqual(client.nick, "guest-1")
  })
})

describe.concurrent("the command line", () => {
  it("`chat serve --help` exits 0", async () => {
    const result = await runChat(["serve", "--help"])
    assert.strictEqual(result.code, 0)
    assert.include(result.stdout + result.stderr, "--port")
  })

  it("logs `listening on 127.0.0.1:PORT` with the real port on stderr", async () => {
    const server = await startServer()
    assert.isAbove(server.port, 0)
    assert.include(server.stderr(), `listening on 127.0.0.1:${server.port}`)
    assert.strictEqual(server.host, "127.0.0.1")
  })
})
