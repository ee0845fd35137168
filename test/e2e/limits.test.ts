/**
 * PROTOCOL.md, "Limits and policies": open connections, idle time, flood
 * control. (Line length is in framing.test.ts, shutdown in process.test.ts.)
 */
import { afterAll, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { startServer, stopAllProcesses } from "../support/ServerProcess.js"

// The tests here mostly wait (for timeouts, for flood control), each on its
// own server, so they run concurrently; everything is cleaned up at the end.
afterAll(async () => {
  destroyAllClients()
  await stopAllProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})

describe.concurrent("--max-clients", () => {
  it("tells one too many `! server full` and closes it; the others carry on", async () => {
    const server = await startServer(["--max-clients", "2"])
    const [a, b] = await LineClient.group(server.port, 2)
    const third = await LineClient.connect(server.port)
    assert.deepStrictEqual(await third.closed(), ["! server full"])
    await a!.expectNoLine(100)
    a!.send("still fine")
    assert.strictEqual(await b!.line(), "<guest-1> still fine")

    // A slot that frees up can be taken again.
    b!.send("/quit")
    assert.strictEqual(await a!.line(), "*** guest-2 left #lobby (quit)")
    const again = await LineClient.join(server.port)
    assert.strictEqual(again.nick, "guest-2")
  })
})

describe.concurrent("--idle-timeout", () => {
  it("`*** disconnected: idle for 1s`, close, the room hears (idle); counted from the last line", async () => {
    const server = await startServer(["--idle-timeout", "1s"])
    const [sleeper, watcher] = await LineClient.group(server.port, 2)
    const sleeperSince = performance.now()
    // The watcher stays active, so only the sleeper goes idle.
    let lastSent = performance.now()
    const keepAlive = setInterval(() => {
      watcher!.send("/who")
      lastSent = performance.now()
    }, 200)
    const seen = await watcher!.until((line) => line.startsWith("*** guest-1 left"), 5_000)
      .finally(() => clearInterval(keepAlive))
    assert.deepStrictEqual(seen.filter((line) => !line.startsWith("*** in #lobby")), ["*** guest-1 left #lobby (idle)"])
    assert.strictEqual(await sleeper!.line(), "*** disconnected: idle for 1s")
    assert.deepStrictEqual(await sleeper!.closed(), [])
    assert.isAtLeast(performance.now() - sleeperSince, 900)

    // Now the watcher falls silent, and goes idle a second after its last line.
    const rest = await watcher!.until((line) => line.startsWith("*** disconnected"), 5_000)
    assert.isAtLeast(performance.now() - lastSent, 900)
    assert.deepStrictEqual(rest.filter((line) => !line.startsWith("*** in #lobby")), ["*** disconnected: idle for 1s"])
    assert.deepStrictEqual(await watcher!.closed(), [])
  })
})

/**
 * A reader in `#lobby`, then a sender that has sent nothing yet, so its
 * flood control bucket is full.
 */
const readerAndFreshSender = async (port: number) => {
  // The reader is alone: guest-1.
  const [reader] = await LineClient.group(port, 1)
  const sender = await LineClient.connect(port)
  const joined = await reader!.line()
  if (joined !== "*** guest-2 joined #lobby") throw new Error(`unexpected ${JSON.stringify(joined)}`)
  return { reader: reader!, sender }
}

describe.concurrent("flood control", () => {
  it("--rate 5 --burst 2: six lines at once are all delivered, in order, the last ones later", async () => {
    const server = await startServer(["--rate", "5", "--burst", "2"])
    const { reader, sender } = await readerAndFreshSender(server.port)

    const started = performance.now()
    await sender.write("l1\nl2\nl3\nl4\nl5\nl6\n")
    const arrivals: Array<number> = []
    const lines: Array<string> = []
    for (let i = 0; i < 6; i++) {
      lines.push(await reader.line())
      arrivals.push(performance.now() - started)
    }
    assert.deepStrictEqual(lines, ["l1", "l2", "l3", "l4", "l5", "l6"].map((text) => `<guest-2> ${text}`))
    // Two at once, then one every 200 ms: the sixth about 800 ms after the first.
    assert.isBelow(arrivals[1]! - arrivals[0]!, 150)
    assert.isAtLeast(arrivals[5]! - arrivals[0]!, 500)
    assert.isBelow(arrivals[5]!, 3_000)
    await reader.expectNoLine(100)
  })

  it("does not count blank lines", async () => {
    const server = await startServer(["--rate", "1", "--burst", "2"])
    const { reader, sender } = await readerAndFreshSender(server.port)
    const started = performance.now()
    await sender.write("\n\n  \n\n\nfirst\nsecond\n")
    assert.strictEqual(await reader.line(), "<guest-2> first")
    assert.strictEqual(await reader.line(), "<guest-2> second")
    assert.isBelow(performance.now() - started, 700)
  })

  it("--rate 0 turns it off", async () => {
    const server = await startServer(["--rate", "0", "--burst", "1"])
    const { reader, sender } = await readerAndFreshSender(server.port)
    const started = performance.now()
    await sender.write(Array.from({ length: 200 }, (_, i) => `m${i}\n`).join(""))
    const lines = await reader.take(200)
    assert.deepStrictEqual(lines, Array.from({ length: 200 }, (_, i) => `<guest-2> m${i}`))
    assert.isBelow(performance.now() - started, 2_000)
  })

  it("slows the sender's TCP stream rather than reading ahead", async () => {
    const server = await startServer(["--rate", "5", "--burst", "1"])
    const { reader, sender } = await readerAndFreshSender(server.port)
    const size = 16 * 1024 * 1024
    const chunk = "x\n".repeat(32 * 1024)
    for (let i = 0; i < size / chunk.length; i++) void sender.write(chunk).catch(() => {})
    for (let i = 0; i < 3; i++) assert.strictEqual(await reader.line(), "<guest-2> x")
    // Some 400 ms later, most of the 16 MB is still waiting on the sender's side: the
    // server reads no further ahead than the kernel's buffers (a few MB) allow.
    assert.isAbove(sender.socket.writableLength, size / 4)
  })

  it("slows a flooder, drops nothing, and does not slow the others", async () => {
    const server = await startServer(["--rate", "20", "--burst", "5"])
    const { reader, sender: flooder } = await readerAndFreshSender(server.port)
    const other = await LineClient.join(server.port)
    assert.strictEqual(await reader.line(), "*** guest-3 joined #lobby")
    const started = performance.now()
    void flooder.write(Array.from({ length: 30 }, (_, i) => `f${i}\n`).join(""))
    assert.strictEqual(await reader.line(), "<guest-2> f0")
    other.send("me too")
    const seen = await reader.until((line) => line === "<guest-3> me too")
    // The other client's line is not stuck behind the flood.
    assert.isBelow(seen.length, 29)
    const rest = await reader.until((line) => line === "<guest-2> f29")
    const flood = [...seen, ...rest].filter((line) => line.startsWith("<guest-2> "))
    assert.deepStrictEqual(flood, Array.from({ length: 29 }, (_, i) => `<guest-2> f${i + 1}`))
    // 30 lines at 20/s after a burst of 5: at least about a second.
    assert.isAtLeast(performance.now() - started, 1_000)
  })
})
