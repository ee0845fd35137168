/**
 * PROTOCOL.md, "History": each room's last H messages and actions, replayed
 * in their original order and form before any live line of that room.
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

/** The lines of a newcomer's welcome that are not notices: its history. */
const historyOf = (welcome: ReadonlyArray<string>) => welcome.filter((line) => !line.startsWith("*** "))

describe("history", () => {
  it("--history 2 keeps the last two messages and actions, in their original form", async () => {
    const server = await sharedServer(["--rate", "0", "--history", "2"])
    const [alice] = await LineClient.group(server.port, 1)
    alice!.send("one")
    alice!.send("/me two")
    alice!.send("three")
    // A rename later does not rewrite what was said.
    alice!.send("/nick alice")
    await alice!.sync()

    const bob = await LineClient.join(server.port)
    assert.deepStrictEqual(historyOf(bob.welcome), ["* guest-1 two", "<guest-1> three"])
    assert.strictEqual(await alice!.line(), "*** guest-1 joined #lobby")
    alice!.send("four")
    assert.strictEqual(await bob.line(), "<alice> four")
  })

  it("keeps 50 by default", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [alice] = await LineClient.group(server.port, 1)
    for (let i = 1; i <= 60; i++) alice!.send(`m${i}`)
    await alice!.sync()
    const bob = await LineClient.join(server.port)
    assert.deepStrictEqual(historyOf(bob.welcome), Array.from({ length: 50 }, (_, i) => `<guest-1> m${i + 11}`))
  })

  it("--history 0 turns it off", async () => {
    const server = await sharedServer(["--rate", "0", "--history", "0"])
    const [alice] = await LineClient.group(server.port, 1)
    alice!.send("one")
    alice!.send("/me two")
    await alice!.sync()
    const bob = await LineClient.join(server.port)
    assert.deepStrictEqual(historyOf(bob.welcome), [])
    assert.strictEqual(await alice!.line(), "*** guest-2 joined #lobby")
    alice!.send("live")
    assert.strictEqual(await bob.line(), "<guest-1> live")
  })

  it("keeps only room messages and actions: no notices, no private messages, no errors", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [alice, bob] = await LineClient.group(server.port, 2)
    alice!.send("/msg guest-2 secret")
    assert.strictEqual(await bob!.line(), "[pm] <guest-1> secret")
    alice!.send("/nick alice")
    assert.strictEqual(await bob!.line(), "*** guest-1 is now alice")
    alice!.send("/foo")
    alice!.send("said")
    assert.strictEqual(await bob!.line(), "<alice> said")
    bob!.send("/quit")
    await bob!.closed()
    await alice!.sync()
    const carol = await LineClient.join(server.port)
    assert.deepStrictEqual(historyOf(carol.welcome), ["<alice> said"])
  })

  it("is replayed on /join, after the `joined` notice, per room", async () => {
    const server = await sharedServer(["--rate", "0"])
    // carol stays in #lobby, so it keeps its history.
    const [alice, bob, carol] = await LineClient.group(server.port, 3)
    alice!.send("/join dev")
    assert.strictEqual(await alice!.line(), "*** joined #dev (1 here: guest-1)")
    assert.strictEqual(await carol!.line(), "*** guest-1 left #lobby (joined #dev)")
    alice!.send("in dev")
    alice!.send("/me codes")
    await alice!.sync()
    bob!.send("in lobby")
    bob!.send("/join dev")
    const lines = await bob!.until((line) => line === "* guest-1 codes")
    assert.deepStrictEqual(lines, [
      "*** guest-1 left #lobby (joined #dev)",
      "*** joined #dev (2 here: guest-1, guest-2)",
      "<guest-1> in dev",
      "* guest-1 codes"
    ])
    bob!.send("/join lobby")
    assert.strictEqual(await bob!.line(), "*** joined #lobby (2 here: guest-2, guest-3)")
    assert.strictEqual(await bob!.line(), "<guest-2> in lobby")
    assert.deepStrictEqual(await carol!.until((line) => line === "*** guest-2 joined #lobby"), [
      "<guest-2> in lobby",
      "*** guest-2 left #lobby (joined #dev)",
      "*** guest-2 joined #lobby"
    ])
  })

  it("an empty room is gone, and so is its history", async () => {
    const server = await sharedServer(["--rate", "0"])
    const [alice, bob] = await LineClient.group(server.port, 2)
    alice!.send("/join dev")
    assert.strictEqual(await alice!.line(), "*** joined #dev (1 here: guest-1)")
    alice!.send("secret plans")
    alice!.send("/join lobby")
    assert.strictEqual(await alice!.line(), "*** joined #lobby (2 here: guest-1, guest-2)")
    bob!.send("/rooms")
    assert.include(await bob!.until((line) => line.startsWith("*** rooms:")), "*** rooms: #lobby (2)")
    bob!.send("/join DEV")
    assert.strictEqual(await bob!.line(), "*** joined #DEV (1 here: guest-2)")
    bob!.send("/who")
    assert.strictEqual(await bob!.line(), "*** in #DEV: guest-2")
  })

  it("a newcomer sees history then live lines, with no gap and no repeat, while the room is busy", async () => {
    const server = await sharedServer(["--rate", "0", "--history", "20"])
    const [alice] = await LineClient.group(server.port, 1)
    const total = 400
    await alice!.write(Array.from({ length: total / 2 }, (_, i) => `n${i + 1}\n`).join(""))
    const joining = LineClient.connect(server.port)
    await alice!.write(Array.from({ length: total / 2 }, (_, i) => `n${total / 2 + i + 1}\n`).join(""))
    const bob = await joining
    const lines = await bob.until((line) => line === `<guest-1> n${total}`)
    const numbers = lines.filter((line) => line.startsWith("<guest-1> n")).map((line) => Number(line.slice(11)))
    assert.isAbove(numbers.length, 0)
    const first = numbers[0]!
    assert.deepStrictEqual(numbers, Array.from({ length: total - first + 1 }, (_, i) => first + i))
    // The welcome notices come first, and the history is at most 20 lines before the join.
    assert.match(lines[0]!, /^\*\*\* .*guest-2/)
  })
})
