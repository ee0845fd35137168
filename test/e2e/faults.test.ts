/**
 * Hostile clients and faults over real TCP, against `chat serve`: a reader
 * that stops mid-flood, resets in the middle of writes, a client that
 * vanishes in the middle of a line, garbage and megabyte lines, more
 * connections than allowed, and a shutdown in the middle of all that. Every
 * other client keeps getting every line, in order, and the server stays up.
 */
import { readFileSync } from "node:fs"
import { afterAll, afterEach, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { hasControl } from "../support/Protocol.js"
import type { ServerProcess } from "../support/ServerProcess.js"
import { startServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(stopAllProcesses)

/** The server's resident memory, from /proc, in MB. */
const rssMb = (server: ServerProcess): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.process.pid}/status`, "utf8"))
  return Number(match?.[1] ?? 0) / 1024
}

const fromNick = (lines: ReadonlyArray<string>, nick: string) => lines.filter((line) => line.startsWith(`<${nick}> `))

describe("a reader that stops reading mid-flood", () => {
  it("is cut off (too slow); every other client gets every message, in one order", async () => {
    // The default --max-queue: a smaller one cuts off readers that merely fall a few ms behind.
    const server = await startServer(["--rate", "0"])
    const [a, b, r1, r2, r3, stopper] = await LineClient.group(server.port, 6)
    const readers = [r1!, r2!, r3!]
    const leftNotice = "*** guest-6 left #lobby (too slow)"
    let noticed = false
    r1!.observe((line) => {
      if (line === leftNotice) noticed = true
    })
    // The stopper reads the first 100 of a's lines, then no more.
    const stopped = stopper!.until((line) => line.startsWith("<guest-1> a 100 ")).then((seen) => {
      stopper!.pause()
      return seen
    })

    // The readers keep up: the flood goes no faster than they read (the flooders wait for them after
    // each round). Without that, they share one process with the flooders, and with --rate 0 a flood
    // can outrun them by more than --max-queue lines, which would rightly make them too slow as well.
    const readUpTo = [0, 0, 0]
    const waiting: Array<() => void> = []
    readers.forEach((reader, i) =>
      reader.observe((line) => {
        const match = /^<guest-2> b (\d+) /.exec(line)
        if (match === null) return
        readUpTo[i] = Number(match[1])
        for (const wake of waiting.splice(0)) wake()
      })
    )
    const readersAt = (n: number): Promise<void> =>
      new Promise((resolve) => {
        const check = () => readUpTo.every((at) => at >= n) ? resolve() : waiting.push(check)
        check()
      })

    // Both flood at once, until the stopper's buffers and queue are full and it is cut off, and 200 lines more.
    const padding = "p".repeat(1000)
    const sent = { a: [] as Array<string>, b: [] as Array<string> }
    let extra = 200
    while (extra > 0 && sent.a.length < 30_000) {
      const n = sent.a.length
      const chunkA = Array.from({ length: 25 }, (_, i) => `a ${n + i + 1} ${padding}`)
      const chunkB = Array.from({ length: 25 }, (_, i) => `b ${n + i + 1} ${padding}`)
      sent.a.push(...chunkA)
      sent.b.push(...chunkB)
      await Promise.all([a!.writeLines(chunkA, 5), b!.writeLines(chunkB, 5)])
      await readersAt(n + 25)
      if (noticed) extra -= 25
    }
    assert.strictEqual(noticed, true)
    a!.send("done")
    b!.send("done")

    /** Up to the later of the two `done` lines. */
    const bothDone = () => {
      let seen = 0
      return (line: string) => (line === "<guest-1> done" || line === "<guest-2> done") && ++seen === 2
    }
    const [first, ...others] = await Promise.all(readers.map((reader) => reader.until(bothDone(), 30_000)))
    assert.deepStrictEqual(fromNick(first!, "guest-1"), [...sent.a, "done"].map((text) => `<guest-1> ${text}`))
    assert.deepStrictEqual(fromNick(first!, "guest-2"), [...sent.b, "done"].map((text) => `<guest-2> ${text}`))
    assert.deepStrictEqual(first!.filter((line) => line.startsWith("***")), [leftNotice])
    for (const other of others) assert.deepStrictEqual(other, first)
    // Each flooder saw the other's lines and the notice in that same order, never its own.
    for (const [flooder, own, other] of [[a!, "guest-1", "guest-2"], [b!, "guest-2", "guest-1"]] as const) {
      const expected = first!.filter((line) => !line.startsWith(`<${own}> `))
      const seenByFlooder = await flooder.until((line) => line === `<${other}> done`)
      assert.deepStrictEqual(seenByFlooder, expected.slice(0, expected.indexOf(`<${other}> done`) + 1))
    }

    // What the stopper got before it was cut off is the start of that order, without a gap.
    const before = await stopped
    stopper!.resume()
    const rest = await stopper!.closed(20_000)
    const got = [...before, ...rest].filter((line) => line.startsWith("<"))
    assert.isBelow(got.length, 2 * sent.a.length)
    assert.deepStrictEqual(got, first!.filter((line) => line.startsWith("<")).slice(0, got.length))

    assert.strictEqual((await r1!.sync()).at(-1), "*** in #lobby: guest-1, guest-2, guest-3, guest-4, guest-5")
  }, 60_000)
})

describe("resets", () => {
  it("in the middle of the server's writes to it: the room hears (connection closed) once, nothing else changes", async () => {
    const server = await startServer(["--rate", "0", "--max-queue", "1000000"])
    const [sender, victim, reader] = await LineClient.group(server.port, 3)
    victim!.pause()
    // 12 MB for a client that reads nothing, more than the kernel's buffers hold: the server is
    // still writing to it when it resets.
    const padding = "v".repeat(2000)
    const lines = Array.from({ length: 6000 }, (_, i) => `${i} ${padding}`)
    await sender!.writeLines(lines, 20)
    await reader!.until((line) => line.startsWith("<guest-1> 5999 "), 20_000)
    victim!.reset()
    assert.strictEqual(await reader!.line(), "*** guest-2 left #lobby (connection closed)")
    assert.strictEqual(await sender!.line(), "*** guest-2 left #lobby (connection closed)")
    sender!.send("after")
    assert.strictEqual(await reader!.line(), "<guest-1> after")
    assert.strictEqual((await reader!.sync()).at(-1), "*** in #lobby: guest-1, guest-3")
  })

  it("in the middle of the client's own line: nobody sees the half line", async () => {
    const server = await startServer(["--rate", "0"])
    const [vanishing, reader] = await LineClient.group(server.port, 2)
    await vanishing!.write(`complete line\nhalf of a much longer li${"n".repeat(3000)}`)
    vanishing!.reset()
    assert.strictEqual(await reader!.line(), "<guest-1> complete line")
    assert.strictEqual(await reader!.line(), "*** guest-1 left #lobby (connection closed)")
    assert.deepStrictEqual(await reader!.sync(), ["*** in #lobby: guest-2"])
  })

  it("while its lines wait for flood control: the room hears it left at once, and none of them after", async () => {
    const server = await startServer(["--rate", "5", "--burst", "5"])
    const [flooder, reader] = await LineClient.group(server.port, 2)
    await flooder!.write(Array.from({ length: 20 }, (_, i) => `f${i + 1}\n`).join(""))
    // The burst of 5 at once, then one every 200 ms: reset once the 7th is through.
    await reader!.until((line) => line === "<guest-1> f7")
    const resetAt = performance.now()
    flooder!.reset()
    const rest = await reader!.until((line) => line.includes(" left #lobby"))
    assert.isBelow(performance.now() - resetAt, 1_000)
    assert.strictEqual(rest.at(-1), "*** guest-1 left #lobby (connection closed)")
    assert.strictEqual(rest.slice(0, -1).every((line, i) => line === `<guest-1> f${8 + i}`), true)
    // The 13 held-back lines would take 2.6 s: none of them comes.
    await reader!.expectNoLine(3_000)
  })
})

describe("a client that sends half a line and vanishes", () => {
  it("with an end of stream: the half line is dropped, the room hears (connection closed)", async () => {
    const server = await startServer()
    const [vanishing, reader] = await LineClient.group(server.port, 2)
    await vanishing!.write("half a line, no newline")
    vanishing!.end()
    assert.deepStrictEqual(await vanishing!.closed(), [])
    assert.strictEqual(await reader!.line(), "*** guest-1 left #lobby (connection closed)")
    assert.deepStrictEqual(await reader!.sync(), ["*** in #lobby: guest-2"])
  })

  it("and never sends the rest: it is idle all the same", async () => {
    const server = await startServer(["--idle-timeout", "1s"])
    const [stuck] = await LineClient.group(server.port, 1)
    const since = performance.now()
    await stuck!.write("no end")
    const trickle = setInterval(() => void stuck!.write(" in sight").catch(() => {}), 200)
    const notice = await stuck!.line(5_000).finally(() => clearInterval(trickle))
    assert.strictEqual(notice, "*** disconnected: idle for 1s")
    assert.isAtLeast(performance.now() - since, 900)
    assert.deepStrictEqual(await stuck!.closed(), [])
  })
})

/** The same noise on every run: bytes of every kind, with NUL, ESC, CSI, `\r` and `\n` frequent. */
const garbage = (size: number, seed: number): Buffer => {
  let x = seed
  return Buffer.from(Uint8Array.from({ length: size }, () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    const r = x >> 8
    return r % 7 === 0 ? [0x00, 0x1b, 0x0d, 0x0a, 0x9b][r % 5]! : r & 0xff
  }))
}

describe("garbage, NUL bytes and megabyte lines", () => {
  it(
    "reach nobody as control characters; the sender gets one error per long line, and the server holds no more than a line",
    async () => {
      const server = await startServer(["--rate", "0"])
      const [sender, reader] = await LineClient.group(server.port, 2)
      const rssBefore = rssMb(server)
      const noise = garbage(256 * 1024, 7)
      await sender!.write(noise)
      await sender!.write("\n\0\0\0\n\0\r\n")
      const megabyte = "M".repeat(1024 * 1024)
      await sender!.write(`${megabyte}\n${megabyte}\r\n`)
      // 256 MB without a newline: read and thrown away as it arrives, never held. (What the server
      // reads is garbage until collected: its memory grows by some 50 MB whether the line is 64 MB or
      // 256 MB; holding the line would take 256 MB more.)
      let rssMax = rssBefore
      const sampler = setInterval(() => {
        rssMax = Math.max(rssMax, rssMb(server))
      }, 10)
      const chunk = Buffer.alloc(1024 * 1024, 0x4e)
      for (let i = 0; i < 256; i++) await sender!.write(chunk)
      clearInterval(sampler)
      sender!.send("")
      sender!.send("still here")

      const got = await reader!.until((line) => line === "<guest-1> still here", 30_000)
      assert.isAbove(got.length, 1_000)
      for (const line of got) {
        assert.strictEqual(line.startsWith("<guest-1> ") || line.startsWith("* guest-1 "), true, JSON.stringify(line))
        assert.strictEqual(hasControl(line), false, JSON.stringify(line))
      }
      // Lines over 4096 bytes, counted in the raw bytes as PROTOCOL.md counts them (the noise's
      // unterminated tail is ended by the next \n): none in the noise, then the three long ones.
      const long = noise.toString("latin1").split("\n").filter((line) => line.replace(/\r$/, "").length > 4096).length
      const toSender = await sender!.sync()
      assert.lengthOf(toSender.filter((line) => line === "! line too long (max 4096 bytes)"), long + 3)
      assert.deepStrictEqual(toSender.filter((line) => !line.startsWith("! ")), ["*** in #lobby: guest-1, guest-2"])
      assert.isBelow(rssMax - rssBefore, 128)
    },
    60_000
  )
})

describe("connections opened to the limit and more", () => {
  it("--max-clients 50: the 51st and 20 more at once get `! server full`; a freed slot is taken again", async () => {
    const server = await startServer(["--max-clients", "50"])
    const clients = await LineClient.group(server.port, 50)
    const extra = await Promise.all(Array.from({ length: 21 }, () => LineClient.connect(server.port)))
    for (const client of extra) assert.deepStrictEqual(await client.closed(), ["! server full"])
    const everyone = Array.from({ length: 50 }, (_, i) => `guest-${i + 1}`).sort().join(", ")
    assert.deepStrictEqual(await clients[0]!.sync(), [`*** in #lobby: ${everyone}`])

    clients[9]!.send("/quit")
    assert.strictEqual(await clients[0]!.line(), "*** guest-10 left #lobby (quit)")
    const again = await LineClient.join(server.port)
    assert.strictEqual(again.nick, "guest-10")
    assert.deepStrictEqual(await (await LineClient.connect(server.port)).closed(), ["! server full"])
  }, 30_000)
})

describe("shutdown while a flood is in progress", () => {
  it("with stalled readers and a half line: readers get everything then the notice, exit 0 within 5 s", async () => {
    const server = await startServer(["--rate", "0", "--max-queue", "1000000"])
    const [reader, f1, f2, f3, stalled1, stalled2, partial] = await LineClient.group(server.port, 7)
    stalled1!.pause()
    stalled2!.pause()
    await partial!.write("a line that never ends")
    const padding = "z".repeat(500)
    const flooders = [f1!, f2!, f3!]
    let flooding = true
    const floods = flooders.map(async (flooder, k) => {
      for (let i = 1; flooding && !flooder.isClosed; i += 10) {
        await flooder.write(Array.from({ length: 10 }, (_, j) => `${k} ${i + j} ${padding}\n`).join("")).catch(() => {})
      }
    })
    const before = await reader!.until((line) => line.startsWith("<guest-2> 0 3000 "), 30_000)

    const exit = await server.stop("SIGTERM")
    flooding = false
    await Promise.all(floods)
    assert.strictEqual(exit.code, 0)
    assert.isBelow(exit.ms, 5_000)
    const got = [...before, ...await reader!.closed()]
    assert.strictEqual(got.at(-1), "*** server shutting down")
    assert.deepStrictEqual(got.filter((line) => line.startsWith("***")), ["*** server shutting down"])
    // Each flooder's lines arrived whole and in order, from its first up to where the shutdown cut them.
    for (const [k, flooder] of flooders.entries()) {
      assert.include(await flooder.closed(), "*** server shutting down")
      const numbers = got.filter((line) => line.startsWith(`<guest-${k + 2}> `)).map((line) =>
        Number(line.split(" ")[2])
      )
      assert.isAbove(numbers.length, 0)
      assert.deepStrictEqual(numbers, numbers.map((_, i) => i + 1))
    }
  }, 30_000)
})
