/**
 * PROTOCOL.md, "Session": guest nicks, the welcome, join notices, history
 * before live lines, room messages, and why people leave.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { sharedServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  expect(takeStrayLines()).toEqual([])
})
afterAll(stopAllProcesses)

describe("connecting", () => {
  it("names the assigned guest nick in the first line, a notice", async () => {
    const server = await sharedServer()
    await LineClient.group(server.port, 1)
    const client = await LineClient.connect(server.port)
    const first = await client.line()
    expect(first.startsWith("*** ")).toBe(true)
    expect(first).toMatch(/(^|[^\w-])guest-2([^\w-]|$)/)
  })

  it("sends only notices before the history", async () => {
    const server = await sharedServer()
    const [client] = await LineClient.group(server.port, 1)
    expect(client!.nick).toBe("guest-1")
    expect(client!.welcome.length).toBeGreaterThan(0)
    for (const line of client!.welcome) expect(line).toMatch(/^\*\*\* /)
  })

  it("assigns the lowest free guest-N", async () => {
    const server = await sharedServer()
    const [one, two, three] = await LineClient.group(server.port, 3)
    expect([one!.nick, two!.nick, three!.nick]).toEqual(["guest-1", "guest-2", "guest-3"])

    two!.end()
    await two!.closed()
    expect(await one!.line()).toBe("*** guest-2 left #lobby (connection closed)")
    expect(await three!.line()).toBe("*** guest-2 left #lobby (connection closed)")
    const again = await LineClient.join(server.port)
    expect(again.nick).toBe("guest-2")
    expect(await one!.line()).toBe("*** guest-2 joined #lobby")
    const four = await LineClient.join(server.port)
    expect(four.nick).toBe("guest-4")

    // A rename frees the guest nick too.
    one!.send("/nick alice")
    await one!.until((line) => line === "*** you are now alice")
    const next = await LineClient.join(server.port)
    expect(next.nick).toBe("guest-1")
  })

  it("skips guest nicks that people chose for themselves, in any case", async () => {
    const server = await sharedServer()
    const [one, two] = await LineClient.group(server.port, 2)
    one!.send("/nick GUEST-3")
    expect(await one!.line()).toBe("*** you are now GUEST-3")
    expect(await two!.line()).toBe("*** guest-1 is now GUEST-3")
    const three = await LineClient.join(server.port)
    expect(three.nick).toBe("guest-1")
    const four = await LineClient.join(server.port)
    expect(four.nick).toBe("guest-4")
  })

  it("tells the others `*** guest-N joined #lobby`", async () => {
    const server = await sharedServer()
    const [first] = await LineClient.group(server.port, 1)
    await LineClient.connect(server.port)
    expect(await first!.line()).toBe("*** guest-2 joined #lobby")
    await LineClient.connect(server.port)
    expect(await first!.line()).toBe("*** guest-3 joined #lobby")
  })

  it("puts the newcomer in #lobby with the others", async () => {
    const server = await sharedServer()
    await LineClient.group(server.port, 2)
    const third = await LineClient.join(server.port)
    expect(third.welcome[0]).toContain("guest-3")
    expect(third.who).toBe("*** in #lobby: guest-1, guest-2, guest-3")
    third.send("/who")
    expect(await third.line()).toBe("*** in #lobby: guest-1, guest-2, guest-3")
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
    expect(messages).toEqual(["<guest-1> one", "* guest-1 two", "<guest-1> three"])
    // The history comes after the welcome notices.
    expect(lines.slice(0, lines.indexOf("<guest-1> one")).every((line) => line.startsWith("*** "))).toBe(true)
  })
})

describe("room messages", () => {
  it("go to all other members, never back to the sender", async () => {
    const server = await sharedServer()
    const [a, b, c] = await LineClient.group(server.port, 3)
    a!.send("hello all")
    expect(await b!.line()).toBe("<guest-1> hello all")
    expect(await c!.line()).toBe("<guest-1> hello all")
    b!.send("hi a")
    expect(await a!.line()).toBe("<guest-2> hi a")
    expect(await c!.line()).toBe("<guest-2> hi a")
    await b!.expectNoLine(150)
  })
})

describe("leaving", () => {
  it("/quit: `*** bye`, close, and the room hears (quit)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.send("/quit")
    expect(await go!.line()).toBe("*** bye")
    expect(await go!.closed()).toEqual([])
    expect(await stay!.line()).toBe("*** guest-2 left #lobby (quit)")
  })

  it("/quit REASON: the room hears (quit: REASON)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.send("/quit gone fishing")
    expect(await go!.line()).toBe("*** bye")
    expect(await go!.closed()).toEqual([])
    expect(await stay!.line()).toBe("*** guest-2 left #lobby (quit: gone fishing)")
  })

  it("an end of stream: (connection closed)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.end()
    expect(await stay!.line()).toBe("*** guest-2 left #lobby (connection closed)")
    expect(await go!.closed()).toEqual([])
  })

  it("a reset: (connection closed)", async () => {
    const server = await sharedServer()
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.reset()
    expect(await stay!.line()).toBe("*** guest-2 left #lobby (connection closed)")
  })

  it("a reset with unread input pending: (connection closed), once", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [stay, go] = await LineClient.group(server.port, 2)
    go!.send("last words")
    expect(await stay!.line()).toBe("<guest-2> last words")
    await go!.write("partial line without newline")
    go!.reset()
    expect(await stay!.line()).toBe("*** guest-2 left #lobby (connection closed)")
    stay!.send("/who")
    expect(await stay!.line()).toBe("*** in #lobby: guest-1")
  })

  it("a leave notice goes to the room the client was in, under its current nick", async () => {
    const server = await sharedServer()
    const [lobby, dev, go] = await LineClient.group(server.port, 3)
    dev!.send("/join dev")
    await dev!.until((line) => line.startsWith("*** joined #dev"))
    expect(await lobby!.line()).toBe("*** guest-2 left #lobby (joined #dev)")
    expect(await go!.line()).toBe("*** guest-2 left #lobby (joined #dev)")
    go!.send("/nick runner")
    expect(await go!.line()).toBe("*** you are now runner")
    expect(await lobby!.line()).toBe("*** guest-3 is now runner")
    go!.send("/join dev")
    await go!.until((line) => line.startsWith("*** joined #dev"))
    expect(await lobby!.line()).toBe("*** runner left #lobby (joined #dev)")
    expect(await dev!.line()).toBe("*** runner joined #dev")
    go!.send("/quit bye now")
    expect(await dev!.line()).toBe("*** runner left #dev (quit: bye now)")
    await lobby!.expectNoLine(150)
  })
})
