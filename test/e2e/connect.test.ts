/**
 * PROTOCOL.md, "`chat connect`": the client with piped input, against a real
 * server, watched by a raw TCP client.
 */
import { afterAll, afterEach, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { freePort, runChat, sharedServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
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
    assert.strictEqual(result.code, 0, result.stderr)

    assert.deepStrictEqual(await watcher!.until((line) => line.startsWith("*** alice left")), [
      "*** guest-2 joined #lobby",
      "*** guest-2 is now alice",
      "<alice> hello there",
      "* alice waves",
      "*** alice left #lobby (quit)"
    ])

    const out = lines(result.stdout)
    assert.include(out[0], "guest-2")
    assert.include(out, "<guest-1> hi from a raw client")
    assert.include(out, "*** you are now alice")
    assert.include(out, "*** in #lobby: alice, guest-1")
    assert.strictEqual(out.at(-1), "*** bye")
    // Its own lines are not sent back to it.
    assert.notInclude(out, "<alice> hello there")
  })

  it("sends a last line without a newline, and works without --nick", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    const result = await runChat(["connect", "--port", String(server.port)], { input: "one\r\ntwo" })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(await watcher!.until((line) => line.startsWith("*** guest-2 left")), [
      "*** guest-2 joined #lobby",
      "<guest-2> one",
      "<guest-2> two",
      "*** guest-2 left #lobby (quit)"
    ])
    assert.strictEqual(lines(result.stdout).at(-1), "*** bye")
  })

  it("with empty input, just quits", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    const result = await runChat(["connect", "--port", String(server.port)], { input: "" })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(await watcher!.take(2), ["*** guest-2 joined #lobby", "*** guest-2 left #lobby (quit)"])
    assert.strictEqual(lines(result.stdout).at(-1), "*** bye")
  })

  it("a /quit in the input ends the session with its reason", async () => {
    const server = await sharedServer()
    const [watcher] = await LineClient.group(server.port, 1)
    const result = await runChat(["connect", "--port", String(server.port)], { input: "bye all\n/quit gone fishing\n" })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(await watcher!.until((line) => line.startsWith("*** guest-2 left")), [
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
    assert.strictEqual(result.code, 1)
    const errors = lines(result.stderr)
    assert.lengthOf(errors, 1, result.stderr)
    assert.include(errors[0], `127.0.0.1:${port}`)
  })
})
