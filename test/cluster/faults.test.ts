/**
 * Faults of a cluster over real TCP: a node killed (`kill -9`), a node
 * frozen past the timeout (SIGSTOP/SIGCONT), Redis paused, frozen, its
 * connections killed, its pub/sub connection killed, Redis stopped for a
 * while, Redis restarted empty.
 * Each test says what users see, and that no line is silently dropped or
 * delivered twice. Nodes run with a short `--cluster-timeout` where the test
 * waits for one.
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

const notDelivered = "! not delivered: the chat is unreachable, try again"
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Two nodes, alice on the first and bob on the second, each having seen the other arrive. */
const pair = async (args: ReadonlyArray<string> = []) => {
  const cluster = freshCluster()
  const one = await startNode(redis, cluster, args)
  const two = await startNode(redis, cluster, args)
  const alice = await named(one, "alice")
  const bob = await named(two, "bob")
  await alice.until((line) => line.endsWith(" is now bob"))
  return { cluster, one, two, alice, bob }
}

/**
 * `count` lines sent by `from` one at a time while a fault lasts; afterwards
 * every line either reached `to` exactly once, in order, or was answered
 * `! not delivered`. Returns how many were delivered.
 */
const sendThrough = async (
  from: LineClient,
  to: LineClient,
  count: number,
  during: () => Promise<void>,
  everyMs = 100
): Promise<{ delivered: number; refused: number }> => {
  const fault = during()
  for (let i = 0; i < count; i++) {
    from.send(`line ${i}`)
    await sleep(everyMs)
  }
  await fault
  from.send("/who")
  const answers = await from.until((line) => line.startsWith("*** in #"), 15_000)
  const refused = answers.filter((line) => line === notDelivered).length
  to.send("/who")
  const got = (await to.until((line) => line.startsWith("*** in #"), 15_000)).filter((l) => l.startsWith("<alice> "))
  const numbers = got.map((line) => Number(line.slice("<alice> line ".length)))
  // In order, each once.
  assert.deepStrictEqual(numbers, [...numbers].sort((a, b) => a - b))
  assert.strictEqual(new Set(numbers).size, numbers.length)
  assert.strictEqual(numbers.length + refused, count)
  return { delivered: numbers.length, refused }
}

describe.runIf(hasRedis)("a node dies", () => {
  it("kill -9: the others release its nicks and see its clients leave (connection lost)", async () => {
    const { alice, one, two } = await pair(["--cluster-timeout", "3s"])
    const killed = performance.now()
    await two.stop("SIGKILL")
    await waitFor(alice, "*** bob left #lobby (connection lost)", 15_000)
    const ms = performance.now() - killed
    assert.isBelow(ms, 15_000)
    console.log(`kill -9: leave seen after ${Math.round(ms)} ms (timeout 3 s)`)
    const again = await named(one, "bob")
    await waitFor(alice, `*** ${again.welcome[0]!.match(/guest-\d+/)![0]} is now bob`)
  })

  it("SIGSTOP past the timeout, then SIGCONT: the node drops its clients instead of acting for them", async () => {
    const { alice, bob, one, two } = await pair(["--cluster-timeout", "3s"])
    two.process.kill("SIGSTOP")
    await waitFor(alice, "*** bob left #lobby (connection lost)", 15_000)
    const thief = await named(one, "bob")
    await alice.until((line) => line.endsWith(" is now bob"))
    two.process.kill("SIGCONT")
    const last = await bob.closed(10_000)
    assert.include(last, "*** this server lost the cluster; please reconnect")
    // Nothing it held was acted on: the new bob is undisturbed, and the node serves new clients.
    thief.send("I am bob now")
    await waitFor(alice, "<bob> I am bob now")
    while (!two.stderr().includes("rejoined cluster")) await sleep(20)
    const carol = await named(two, "carol")
    await alice.until((line) => line.endsWith(" is now carol"))
    carol.send("back")
    await waitFor(alice, "<carol> back")
  })
})

describe.runIf(hasRedis)("Redis unavailable for a few seconds", () => {
  it("CLIENT PAUSE: every line is delivered once, in order, or answered not delivered", async () => {
    const { alice, bob } = await pair()
    const result = await sendThrough(
      alice,
      bob,
      20,
      async () => {
        await redis.cli("CLIENT", "PAUSE", 2000, "ALL")
        await sleep(2000)
      }
    )
    console.log(`CLIENT PAUSE 2 s: ${result.delivered} delivered, ${result.refused} not delivered`)
    alice.send("after the pause")
    await waitFor(bob, "<alice> after the pause")
  })

  it("Redis frozen (SIGSTOP) for 2 s: clients stay; no line dropped silently or doubled", async () => {
    const { alice, bob } = await pair()
    const result = await sendThrough(alice, bob, 20, async () => {
      redis.signal("SIGSTOP")
      await sleep(2000)
      redis.signal("SIGCONT")
    })
    console.log(`SIGSTOP 2 s: ${result.delivered} delivered, ${result.refused} not delivered`)
    alice.send("after the freeze")
    await waitFor(bob, "<alice> after the freeze")
  })

  it("Redis stopped: each line is answered not delivered at once, never queued to be sent later", async () => {
    // A long timeout: the node keeps its clients through the outage.
    const { alice, bob } = await pair(["--cluster-timeout", "30s"])
    const { back } = await redis.outage(3000)
    const answeredMs: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const sent = performance.now()
      alice.send(`during ${i}`)
      await waitFor(alice, notDelivered, 2_500)
      answeredMs.push(performance.now() - sent)
    }
    // Not after the command timeout (3 s): the client refuses what it cannot send, rather than queue it.
    for (const ms of answeredMs) assert.isBelow(ms, 1_000)
    console.log(`Redis stopped: lines answered not delivered after ${answeredMs.map(Math.round).join(", ")} ms`)
    await back
    for (const client of [alice, bob]) {
      await waitFor(client, "*** history lost in #lobby (the cluster's store restarted)", 10_000)
    }
    alice.send("after")
    const seen = await waitFor(bob, "<alice> after")
    assert.deepStrictEqual(seen.filter((line) => line.startsWith("<alice> ")), ["<alice> after"])
  })

  it("a client connecting while Redis is frozen is told the chat is unreachable", async () => {
    const { alice, bob, one } = await pair()
    redis.signal("SIGSTOP")
    const late = await LineClient.connect(one.port)
    const lines = await late.closed(15_000).finally(() => redis.signal("SIGCONT"))
    assert.deepStrictEqual(lines, [notDelivered])
    alice.send("still here")
    await waitFor(bob, "<alice> still here")
  })

  it("connections killed (CLIENT KILL TYPE normal, then pubsub): nothing doubled, gaps filled", async () => {
    const { alice, bob } = await pair()
    const result = await sendThrough(alice, bob, 30, async () => {
      await sleep(300)
      await redis.cli("CLIENT", "KILL", "TYPE", "normal")
      await sleep(500)
      await redis.cli("CLIENT", "KILL", "TYPE", "pubsub")
    }, 50)
    console.log(`CLIENT KILL: ${result.delivered} delivered, ${result.refused} not delivered`)
    assert.isAbove(result.delivered, 0)
  })

  it("pub/sub dropped in a flood: the gap is filled from the room's log", async () => {
    const { alice, bob } = await pair()
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`)
    const flood = alice.writeLines(lines, 10)
    await sleep(20)
    await redis.cli("CLIENT", "KILL", "TYPE", "pubsub")
    await flood
    const got = (await bob.until((line) => line === "<alice> line 299", 15_000)).filter((l) => l.startsWith("<alice> "))
    assert.deepStrictEqual(got, lines.map((line) => `<alice> ${line}`))
  })
})

describe.runIf(hasRedis)("pub/sub falling behind", () => {
  it("a tiny client-output-buffer-limit cuts the subscriber off; the node fills the gaps from the logs", async () => {
    const { alice, bob } = await pair()
    await redis.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 2kb 1kb 1")
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${"x".repeat(50)}`)
    await alice.writeLines(lines, 30)
    const got = (await bob.until((line) => line === `<alice> ${lines.at(-1)}`, 15_000)).filter((l) =>
      l.startsWith("<alice> ")
    )
    await redis.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
    assert.deepStrictEqual(got, lines.map((line) => `<alice> ${line}`))
  })
})

describe.runIf(hasRedis)("Redis restarted empty", () => {
  it("within 10 s the nodes register their clients again, and rooms are told their history was lost", async () => {
    const { alice, bob, one } = await pair()
    alice.send("before")
    await waitFor(bob, "<alice> before")
    const restarted = performance.now()
    await redis.restart()
    await waitFor(alice, "*** history lost in #lobby (the cluster's store restarted)", 10_000)
    await waitFor(bob, "*** history lost in #lobby (the cluster's store restarted)", 10_000)
    console.log(`Redis restarted empty: members told after ${Math.round(performance.now() - restarted)} ms`)
    // Nicks and rooms kept: bob is still bob, in #lobby with alice.
    alice.send("after")
    await waitFor(bob, "<alice> after")
    bob.send("/who")
    await waitFor(bob, "*** in #lobby: alice, bob")
    const other = await named(one, "bob")
    assert.strictEqual(other.answer, "! nick bob is taken")
  })

  it("what is said as soon as one node is back reaches the clients of a node that is not yet, once", async () => {
    const cluster = freshCluster()
    // Heartbeats every second on the first node, every 2.5 s on the second: the first is nearly always back first.
    const one = await startNode(redis, cluster)
    const two = await startNode(redis, cluster, ["--cluster-timeout", "30s"])
    const alice = await named(one, "alice")
    const bob = await named(two, "bob")
    await alice.until((line) => line.endsWith(" is now bob"))
    await redis.restart()
    await waitFor(alice, "*** history lost in #lobby (the cluster's store restarted)", 10_000)
    alice.send("first after the restart")
    alice.send("second")
    const seen = await waitFor(bob, "<alice> second", 10_000)
    assert.deepStrictEqual(seen, [
      "*** history lost in #lobby (the cluster's store restarted)",
      "<alice> first after the restart",
      "<alice> second"
    ])
    await bob.expectNoLine(300)
  })
})
