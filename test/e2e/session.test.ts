/**
 * PROTOCOL.md, "Session": guest nicks, the welcome, join notices, history
 * before live lines, room messages, and why people leave.
 */
import { afterAll, afterEach, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { sharedServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(stopAllProcesses)

describe("connecting", () => {
  it("names the assigned guest nick in the first line, a notice", async () => {
    const server = await sharedServer()
    await LineClient.group(server.port, 1)
    const client = await LineClient.connect(server.port)
    const first = await client.line()
    assert.strictEqual(first.startsWith("*** "), true)
    assert.match(first, /(^|[^\w-])guest-2([^\w-]|$)/)
  })

  it("sends only notices before the history", async () => {
    const server = await sharedServer()
    const [client] = await LineClient.group(server.port, 1)
    assert.strictEqual(client!.nick, "guest-1")
    assert.isAbove(client!.welcome.length, 0)
    for (const line of client!.welcome) assert.match(line, /^\*\*\* /)
  })

  it("assigns the lowest free guest-N", async () => {
    const server = await sharedServer()
    const [one, two, three] = await LineClient.group(server.port, 3)
    assert.deepStrictEqual([one!.nick, two!.nick, three!.nick], ["guest-1", "guest-2", "guest-3"])

    two!.end()
    await two!.closed()
    assert.strictEqual(await one!.line(), "*** guest-2 left #lobby (connection closed)")
    assert.strictEqual(await three!.line(), "*** guest-2 left #lobby (connection closed)")
    const again = await LineClient.join(server.port)
    assert.strictEqual(again.nick, "guest-2")
    assert.strictEqual(await one!.line(), "*** guest-2 joined #lobby")
    const four = await LineClient.join(server.port)
    assert.strictEqual(four.nick, "guest-4")

    // A rename frees the guest nick too.
    one!.send("/nick alice")
    await one!.until((line) => line === "*** you are now alice")
    const next = await LineClient.join(server.port)
    assert.strictEqual(next.nick, "guest-1")
  })

  it("skips guest nicks that people chose for themselves, in any case", async () => {
    const server = await sharedServer()
    const [one, two] = await LineClient.group(server.port, 2)
    one!.send("/nick GUEST-3")
    assert.strictEqual(await one!.line(), "*** you are now GUEST-3")
    assert.strictEqual(await two!.line(), "*** guest-1 is now GUEST-3")
    const three = await LineClient.join(server.port)
    assert.strictEqual(three.nick, "guest-1")
    const four = await LineClient.join(server.port)
    assert.strictEqual(four.nick, "guest-4")
  })

  it("tells the others `*** guest-N joined #lobby`", async () => {
    const server = await sharedServer()
    const [first] = await LineClient.group(server.port, 1)
    await LineClient.connect(server.port)
    assert.strictEqual(await first!.line(), "*** guest-2 joined #lobby")
    await LineClient.connect(server.port)
    assert.strictEqual(await first!.line(), "*** guest-3 joined #lobby")
  })

  it("puts the newcomer in #lobby with the others", async () => {
    const server = await sharedServer()
    await LineClient.group(server.port, 2)
    const third = await LineClient.join(server.port)
    assert.include(third.welcome[0], "guest-3")
    assert.strictEqual(third.who, "*** in #lobby: guest-1, guest-2, guest-3")
    third.send("/who")
    assert.strictEqual(await third.line(), "*** in #lobby: guest-1, guest-2, guest-3")
  })
})

describe("history replay", () => {
  it("replays the room's history to a newcomer, before any live line", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [alice] = await LineClient.group(server.port, 1)
    alice!.send("one")
    alice!.send("/me two")
    alice!.send("/who")
    await alice!.until((line) => line.startsWith("*** in #lobby"))

    const bob = await LineClient.connect(server.port)
    await alice!.until((line) => line === "*** guest-2 joined #lobby")
    alice!.send("three")
    const lines = await bob.until((line) => line === "<guest-1> three")
    const messages = lines.filter((line) => !line.startsWith("*** "))
    assert.deepStrictEqual(messages, ["<guest-1> one", "* guest-1 two", "<guest-1> three"])
    // The history comes after the welcome notices.
    assert.strictEqual(lines.slice(0, lines.indexOf("<guest-1> one")).every((line) => line.startsWith("*** ")), true)
  })
})

describe("room messages", () => {
  it("go to all other members, never back to the sender", async () => {
    const server = await sharedServer()
    const [a, b, c] = await LineClient.group(server.port, 3)
    a!.send("hello all")
    assert.strictEqual(await b!.line(), "<guest-1> hello all")
    assert.strictEqual(await c!.line(), "<guest-1> hello all")
    b!.send("hi a")
    assert.strictEqual(await a!.line(), "<guest-2> hi a")
    assert.strictEqual(await c!.line(), "<guest-2> hi a")
    await b!.expectNoLine(150)
  })
})

describe("leaving", () => {
  it("/quit: `*** bye`, close, and the room hears (quit)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.send("/quit")
    assert.strictEqual(await go!.line(), "*** bye")
    assert.deepStrictEqual(await go!.closed(), [])
    assert.strictEqual(await stay!.line(), "*** guest-2 left #lobby (quit)")
  })

  it("/quit REASON: the room hears (quit: REASON)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.send("/quit gone fishing")
    assert.strictEqual(await go!.line(), "*** bye")
    assert.deepStrictEqual(await go!.closed(), [])
    assert.strictEqual(await stay!.line(), "*** guest-2 left #lobby (quit: gone fishing)")
  })

  it("an end of stream: (connection closed)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.end()
    assert.strictEqual(await stay!.line(), "*** guest-2 left #lobby (connection closed)")
    assert.deepStrictEqual(await go!.closed(), [])
  })

  it("a reset: (connection closed)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.reset()
    assert.strictEqual(await stay!.line(), "*** guest-2 left #lobby (connection closed)")
  })

  it("a reset with unread input pending: (connection closed), once", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.send("last words")
    assert.strictEqual(await stay!.line(), "<guest-2> last words")
    await go!.write("partial line without newline")
    go!.reset()
    assert.strictEqual(await stay!.line(), "*** guest-2 left #lobby (connection closed)")
    stay!.send("/who")
    assert.strictEqual(await stay!.line(), "*** in #lobby: guest-1")
  })

  it("a leave notice goes to the room the client was in, under its current nick", async () => {
    const server = await sharedServer()
    const [lobby, dev, go] = await LineClient.group(server.port, 3)
    dev!.send("/join dev")
    await dev!.until((line) => line.startsWith("*** joined #dev"))
    assert.strictEqual(await lobby!.line(), "*** guest-2 left #lobby (joined #dev)")
    assert.strictEqual(await go!.line(), "*** guest-2 left #lobby (joined #dev)")
    go!.send("/nick runner")
    assert.strictEqual(await go!.line(), "*** you are now runner")
    assert.strictEqual(await lobby!.line(), "*** guest-3 is now runner")
    go!.send("/join dev")
    await go!.until((line) => line.startsWith("*** joined #dev"))
    assert.strictEqual(await lobby!.line(), "*** runner left #lobby (joined #dev)")
    assert.strictEqual(await dev!.line(), "*** runner joined #dev")
    go!.send("/quit bye now")
    assert.strictEqual(await dev!.line(), "*** runner left #dev (quit: bye now)")
    await lobby!.expectNoLine(150)
  })
})
