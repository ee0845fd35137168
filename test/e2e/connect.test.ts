/**
 * PROTOCOL.md, "`chat connect`": the client with piped input, against a real
 * server, watched by a raw TCP client.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { freePort, runChat, sharedServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  expect(takeStrayLines()).toEqual([])
})
afterAll(stopAllProcesses)

const lines = (text: string) => text.split("\n").filter((line) => line !== "")

describe("chat connect with piped input", () => {
  it("sends /nick, every line, then /quit; prints what arrives; exits 0", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    watcher!.send("hi from a raw client")
    watcher!.send("/who")
    await watcher!.until((line) => line.startsWith("*** in #lobby"))

    const result = await runChat(
      ["connect", "--port", String(server.port), "--nick", "alice"],
      { input: "hello there\n/me waves\n/who\n" }
    )
    expect(result.code, result.stderr).toBe(0)

    expect(await watcher!.until((line) => line.startsWith("*** alice left"))).toEqual([
      "*** guest-2 joined #lobby",
      "*** guest-2 is now alice",
      "<alice> hello there",
      "* alice waves",
      "*** alice left #lobby (quit)"
    ])

    const out = lines(result.stdout)
    expect(out[0]).toContain("guest-2")
    expect(out).toContain("<guest-1> hi from a raw client")
    expect(out).toContain("*** you are now alice")
    expect(out).toContain("*** in #lobby: alice, guest-1")
    expect(out.at(-1)).toBe("*** bye")
    // Its own lines are not sent back to it.
    expect(out).not.toContain("<alice> hello there")
  })

  it("sends a last line without a newline, and works without --nick", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    const result = await runChat(["connect", "--port", String(server.port)], { input: "one\r\ntwo" })
    expect(result.code, result.stderr).toBe(0)
    expect(await watcher!.until((line) => line.startsWith("*** guest-2 left"))).toEqual([
      "*** guest-2 joined #lobby",
      "<guest-2> one",
      "<guest-2> two",
      "*** guest-2 left #lobby (quit)"
    ])
    expect(lines(result.stdout).at(-1)).toBe("*** bye")
  })

  it("with empty input, just quits", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    const result = await runChat(["connect", "--port", String(server.port)], { input: "" })
    expect(result.code, result.stderr).toBe(0)
    expect(await watcher!.take(2)).toEqual(["*** guest-2 joined #lobby", "*** guest-2 left #lobby (quit)"])
    expect(lines(result.stdout).at(-1)).toBe("*** bye")
  })

  it("a /quit in the input ends the session with its reason", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    const result = await runChat(["connect", "--port", String(server.port)], { input: "bye all\n/quit gone fishing\n" })
    expect(result.code, result.stderr).toBe(0)
    expect(await watcher!.until((line) => line.startsWith("*** guest-2 left"))).toEqual([
      "*** guest-2 joined #lobby",
      "<guest-2> bye all",
      "*** guest-2 left #lobby (quit: gone fishing)"
    ])
  })
})

describe("chat connect without a server", () => {
  it("cannot reach the port: one line on stderr naming 127.0.0.1:PORT, exit 1", async () => {
    const port = await freePort()
    const result = await runChat(["connect", "--port", String(port)], { input: "hello\n" })
    expect(result.code).toBe(1)
    const errors = lines(result.stderr)
    expect(errors, result.stderr).toHaveLength(1)
    expect(errors[0]).toContain(`127.0.0.1:${port}`)
  })
})
