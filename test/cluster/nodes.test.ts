/**
 * Several `chat serve --redis` nodes are one chat, over real TCP: clients on
 * different nodes talk, whisper, see each other in `/who` and `/rooms`, get
 * the history said on another node, race for one nick, and see a node that
 * shuts down leave `(server shutting down)`; a whole cluster shutting down
 * gives nobody leave notices.
 */
import { afterAll, afterEach, assert, beforeAll, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import type { RedisServer } from "../support/RedisServer.js"
import { hasRedis, startRedis } from "../support/RedisServer.js"
import { stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"
import { freshCluster, named, startNode, waitFor } from "./support.js"

let redis: RedisServer

beforeAll(async () => {
  if (hasRedis) redis = await startRedis()
})
afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(async () => {
  await stopAllProcesses()
  await redis?.stop()
})

describe.runIf(hasRedis)("two nodes on one Redis", () => {
  it("are one chat: rooms, nicks, whispers, who and rooms, history, one order", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster)
    const two = await startNode(redis, cluster)
    assert.include(two.stderr(), `joined cluster ${cluster} as node`)
    assert.match(two.stderr(), /\(2 nodes\)/)

    const alice = await named(one, "alice")
    const bob = await named(two, "bob")
    await alice.until((line) => line.endsWith(" is now bob"))
    alice.send("hello from one")
    await waitFor(bob, "<alice> hello from one")
    bob.send("/me waves from two")
    await waitFor(alice, "* bob waves from two")
    bob.send("/msg ALICE psst")
    await waitFor(alice, "[pm] <bob> psst")
    await waitFor(bob, "[pm -> alice] psst")
    bob.send("/who")
    await waitFor(bob, "*** in #lobby: alice, bob")
    alice.send("/join dev")
    await waitFor(alice, "*** joined #dev (1 here: alice)")
    await waitFor(bob, "*** alice left #lobby (joined #dev)")
    bob.send("/rooms")
    await waitFor(bob, "*** rooms: #dev (1), #lobby (1)")

    // History lives with the room: a newcomer on the other node gets it.
    alice.send("one")
    alice.send("two")
    alice.send("/who")
    await waitFor(alice, "*** in #dev: alice")
    const carol = await LineClient.join(two.port)
    carol.send("/join dev")
    const seen = await carol.until((line) => line === "<alice> two")
    assert.deepStrictEqual(seen.slice(-3), ["*** joined #dev (2 here: alice, guest-1)", "<alice> one", "<alice> two"])
    await waitFor(alice, "*** guest-1 joined #dev")

    // One order: two senders on two nodes, every member sees the same sequence.
    const ann = await named(one, "ann")
    ann.send("/join dev")
    await waitFor(carol, "*** ann joined #dev")
    await waitFor(alice, "*** ann joined #dev")
    const lines = Array.from({ length: 30 }, (_, i) => i)
    await Promise.all([
      ann.writeLines(lines.map((i) => `ann ${i}`)),
      carol.writeLines(lines.map((i) => `carol ${i}`))
    ])
    const isChat = (line: string) => line.startsWith("<ann> ") || line.startsWith("<guest-1> ")
    const atAlice = await alice.until((line) => line === "<ann> ann 29" || line === "<guest-1> carol 29")
    const restAlice = await alice.until((line) => line === "<ann> ann 29" || line === "<guest-1> carol 29")
    const fromAlice = [...atAlice, ...restAlice].filter(isChat)
    assert.lengthOf(fromAlice, 60)
    // Each member sees the others' lines in the order alice saw them.
    const atCarol = (await carol.until((line) => line === "<ann> ann 29")).filter(isChat)
    assert.deepStrictEqual(atCarol, fromAlice.filter((line) => line.startsWith("<ann> ")).slice(0, atCarol.length))
  })

  it("two clients on two nodes asking for one nick at the same instant: exactly one gets it", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster)
    const two = await startNode(redis, cluster)
    for (let round = 0; round < 10; round++) {
      const a = await LineClient.join(one.port)
      const b = await LineClient.join(two.port)
      a.send(`/nick race${round}`)
      b.send(`/nick RACE${round}`)
      const answers = await Promise.all(
        [a, b].map(async (client) =>
          (await client.until((line) => line.startsWith("*** you are now") || line.startsWith("! "))).at(-1)!
        )
      )
      const won = answers.filter((line) => line.startsWith("*** you are now"))
      const lost = answers.filter((line) => line.startsWith("! nick "))
      assert.lengthOf(won, 1)
      assert.lengthOf(lost, 1)
      assert.match(lost[0] ?? "", new RegExp(`^! nick race${round} is taken$`, "i"))
      a.reset()
      b.reset()
    }
  })

  it("the lowest free guest-N is cluster-wide", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster)
    const two = await startNode(redis, cluster)
    const a = await LineClient.join(one.port)
    const b = await LineClient.join(two.port)
    const c = await LineClient.join(one.port)
    assert.deepStrictEqual([a.nick, b.nick, c.nick], ["guest-1", "guest-2", "guest-3"])
    b.end()
    await waitFor(a, "*** guest-2 left #lobby (connection closed)")
    const d = await LineClient.join(one.port)
    assert.strictEqual(d.nick, "guest-2")
  })

  it("one node shutting down: its clients are told, the others see them leave (server shutting down)", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster)
    const two = await startNode(redis, cluster)
    const alice = await named(one, "alice")
    const bob = await named(two, "bob")
    await alice.until((line) => line.endsWith(" is now bob"))
    const exit = await two.stop("SIGTERM")
    assert.strictEqual(exit.code, 0)
    await waitFor(bob, "*** server shutting down")
    await waitFor(alice, "*** bob left #lobby (server shutting down)")
    // Its nick is free again.
    const again = await named(one, "bob")
    await waitFor(alice, "*** guest-1 is now bob")
    again.send("still here")
    await waitFor(alice, "<bob> still here")
  })

  it("the whole cluster shutting down: everyone is told, nobody hears of anyone leaving", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster)
    const two = await startNode(redis, cluster)
    const alice = await named(one, "alice")
    const bob = await named(two, "bob")
    const carol = await named(two, "carol")
    for (const client of [alice, bob]) await client.until((line) => line.endsWith(" is now carol"))
    // Both nodes at once, as an operator stopping the cluster would.
    const exits = await Promise.all([one.stop("SIGTERM"), two.stop("SIGTERM")])
    assert.deepStrictEqual(exits.map((exit) => exit.code), [0, 0])
    // Each node's leave notices reach only its own clients, who are already on their way out.
    for (const client of [alice, bob, carol]) {
      assert.deepStrictEqual(await client.closed(10_000), ["*** server shutting down"])
    }
  })
})
