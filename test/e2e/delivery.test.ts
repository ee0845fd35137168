/**
 * PROTOCOL.md, "Ordering and delivery": one order for every member, each
 * line exactly once, and a slow reader that only ever hurts itself.
 */
import { afterAll, afterEach, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { sharedServer, startServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(stopAllProcesses)

/** Room messages only (not notices), as `NICK TEXT`. */
const messages = (lines: ReadonlyArray<string>) => lines.filter((line) => line.startsWith("<"))

/** Lines up to the later of two expected lines. */
const untilBoth = (client: LineClient, first: string, second: string) => {
  let seen = 0
  return client.until((line) => (line === first || line === second) && ++seen === 2)
}

/**
 * Counts, per line prefix (`<guest-1>`), the lines `client` has received, and
 * tells when a count reaches a number.
 */
const progressOf = (client: LineClient) => {
  const counts = new Map<string, number>()
  let waiting: Array<() => void> = []
  client.observe((line) => {
    const prefix = line.slice(0, line.indexOf(" "))
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1)
    const woken = waiting
    waiting = []
    for (const wake of woken) wake()
  })
  return (prefix: string, count: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const check = () => (counts.get(prefix) ?? 0) >= count ? resolve() : waiting.push(check)
      check()
    })
}

/**
 * Writes `lines` in chunks of `per` lines, each chunk one write, staying at
 * most `window` lines ahead of what `relayed(n)` says has been relayed.
 */
const writePaced = async (
  client: LineClient,
  lines: ReadonlyArray<string>,
  per: number,
  window: number,
  relayed: (count: number) => Promise<void>
) => {
  for (let i = 0; i < lines.length; i += per) {
    await relayed(i - window)
    await client.write(lines.slice(i, i + per).map((line) => `${line}\n`).join(""))
  }
}

describe("ordering", () => {
  it("every member sees the same order, each line exactly once, never its own", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [a, b, c] = await LineClient.group(server.port, 3)
    const count = 1000
    const padding = "p".repeat(100)
    const fromA = Array.from({ length: count }, (_, i) => `a${i} ${padding}`)
    const fromB = Array.from({ length: count }, (_, i) => `b${i} ${padding}`)

    // Both send at once, in small writes, and neither runs far ahead of what C
    // has received, so that their lines reach the server at the same time and
    // interleave there (left alone, one sender's lines tend to go out in a block).
    const reached = progressOf(c!)
    await Promise.all([
      writePaced(a!, fromA, 7, 30, (n) => reached("<guest-1>", n)),
      writePaced(b!, fromB, 5, 30, (n) => reached("<guest-2>", n))
    ])
    a!.send("a-done")
    b!.send("b-done")

    const seenByC = messages(await untilBoth(c!, "<guest-1> a-done", "<guest-2> b-done"))
    const seenByA = messages(await a!.until((line) => line === "<guest-2> b-done"))
    const seenByB = messages(await b!.until((line) => line === "<guest-1> a-done"))

    // Interleaved, not one sender after the other.
    const switches = seenByC.filter((line, i) => i > 0 && line.slice(0, 9) !== seenByC[i - 1]!.slice(0, 9))
    assert.isAbove(switches.length, 10)
    // C sees everything: each line once, each sender's lines in the order sent.
    assert.lengthOf(seenByC, 2 * count + 2)
    assert.deepStrictEqual(
      seenByC.filter((line) => line.startsWith("<guest-1> ")),
      [...fromA, "a-done"].map((text) => `<guest-1> ${text}`)
    )
    assert.deepStrictEqual(
      seenByC.filter((line) => line.startsWith("<guest-2> ")),
      [...fromB, "b-done"].map((text) => `<guest-2> ${text}`)
    )
    // A and B see the others' lines in the very order C saw them, and never their own.
    assert.deepStrictEqual(seenByA, seenByC.filter((line) => line.startsWith("<guest-2> ")))
    assert.deepStrictEqual(seenByB, seenByC.filter((line) => line.startsWith("<guest-1> ")))

    await Promise.all([a!.expectNoLine(100), b!.expectNoLine(100), c!.expectNoLine(100)])
  })

  it("actions, messages and notices of one room reach everyone in one order", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [a, b, c] = await LineClient.group(server.port, 3)
    const script = Array.from({ length: 100 }, (_, i) => i % 3 === 0 ? `/me act${i}` : `say${i}`)
    await Promise.all([a!.writeLines(script, 9), b!.writeLines(["/nick bee", ...script, "/nick bea"], 4)])
    a!.send("/quit done")
    const seenByC = await untilBoth(c!, "*** guest-1 left #lobby (quit: done)", "*** bee is now bea")
    const fromA = seenByC.filter((line) => /^(<guest-1> |\* guest-1 )/.test(line))
    assert.deepStrictEqual(
      fromA,
      script.map((text) => text.startsWith("/me ") ? `* guest-1 ${text.slice(4)}` : `<guest-1> ${text}`)
    )
    const seenByB = await untilBoth(b!, "*** guest-1 left #lobby (quit: done)", "*** you are now bea")
    // b sees exactly c's lines from guest-1, in c's order, and its own rename as a reply.
    assert.deepStrictEqual(
      seenByB.filter((line) => line.includes("guest-1")),
      seenByC.filter((line) => line.includes("guest-1"))
    )
    assert.deepStrictEqual(seenByB.filter((line) => line.startsWith("*** you are now")), [
      "*** you are now bee",
      "*** you are now bea"
    ])
  })
})

describe("a slow reader", () => {
  it("is cut off (too slow) under --max-queue 50; the others get everything, in order", async () => {
    const server = await startServer(["--rate", "0", "--max-queue", "50"])
    const [slow, sender, reader] = await LineClient.group(server.port, 3)
    slow!.pause()

    // Long lines until the kernel's buffers for the paused reader are full, and then its queue:
    // the sender goes on until the reader has seen the notice, and 200 lines more.
    const leftNotice = "*** guest-1 left #lobby (too slow)"
    let noticed = false
    reader!.observe((line) => {
      if (line === leftNotice) noticed = true
    })
    const padding = "x".repeat(3900)
    const lines: Array<string> = []
    let extra = 200
    while (extra > 0 && lines.length < 50_000) {
      const chunk = Array.from({ length: 20 }, (_, i) => `${lines.length + i} ${padding}`)
      lines.push(...chunk)
      await sender!.writeLines(chunk, 20)
      if (noticed) extra -= chunk.length
    }
    sender!.send("done")

    const seen = await reader!.until((line) => line === "<guest-2> done", 30_000)
    assert.include(seen, leftNotice)
    assert.deepStrictEqual(
      seen.filter((line) => line !== leftNotice),
      [...lines, "done"].map((line) => `<guest-2> ${line}`)
    )
    assert.strictEqual(await sender!.line(), leftNotice)

    // The slow reader was disconnected; what it did get is in order.
    slow!.resume()
    const rest = await slow!.closed(20_000)
    const numbers = rest.filter((line) => line.startsWith("<guest-2> ")).map((line) => Number(line.split(" ")[1]))
    assert.strictEqual(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!), true)
    assert.isBelow(numbers.length, lines.length)

    reader!.send("/who")
    assert.strictEqual(await reader!.line(), "*** in #lobby: guest-2, guest-3")
  })

  it("does not slow down the others", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [slow, sender, reader] = await LineClient.group(server.port, 3)
    slow!.pause()
    const padding = "y".repeat(1000)
    const count = 8000
    const started = performance.now()
    const sending = sender!.writeLines(Array.from({ length: count }, (_, i) => `${i} ${padding}`), 50)
    const seen = await reader!.until((line) => line === `<guest-2> ${count - 1} ${padding}`, 15_000)
    await sending
    assert.lengthOf(messages(seen), count)
    assert.isBelow(performance.now() - started, 10_000)
  })
})
