/**
 * Leaks over real TCP: 300 connections come and go, 60 of each way a
 * connection can end (end of stream, `/quit`, reset, idle, too slow), against
 * the server running in this process on `SocketTcp`, so that the test can
 * ask its hub for a `snapshot` and count its fibers (see test/Leaks.test.ts
 * for how). Afterwards: no client, nick or room, no fiber beyond the
 * baseline, and no TCP socket left open in the process.
 */
import * as SocketServer from "@effect/platform/SocketServer"
import type { Fiber } from "effect"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Scope, Supervisor } from "effect"
import { afterAll, assert, describe, it } from "vitest"
import type { Snapshot } from "../../src/index.js"
import { ChatServer, Hub, ServerConfig, SocketTcp } from "../../src/index.js"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"

afterAll(() => {
  destroyAllClients()
  assert.deepStrictEqual(takeStrayLines(), [])
})

const perKind = 60
const perRound = 12

/** The server in this process, with its fibers counted from the start. */
const startInProcess = async (options: ServerConfig.ServerOptions = { rate: 0, maxQueue: 20, idleTimeout: "1s" }) => {
  const supervisor = await Effect.runPromise(Supervisor.track)
  const scope = await Effect.runPromise(Scope.make())
  const layer = ChatServer.layer.pipe(
    Layer.provideMerge(SocketTcp.layer({ host: "127.0.0.1", port: 0 })),
    Layer.provide(ServerConfig.layer(options)),
    Layer.orDie
  )
  const context = await Effect.runPromise(
    Layer.buildWithScope(layer, scope).pipe(Effect.supervised(supervisor), Logger.withMinimumLogLevel(LogLevel.None))
  )
  const address = Context.get(context, SocketServer.SocketServer).address
  return {
    port: address._tag === "TcpAddress" ? address.port : 0,
    snapshot: (): Promise<Snapshot> => Effect.runPromise(Context.get(context, Hub).snapshot),
    fibers: (): Promise<number> =>
      Effect.runPromise(supervisor.value).then((fibers: Array<Fiber.RuntimeFiber<unknown, unknown>>) => fibers.length),
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** TCP sockets open in this process: clients and the server's side of each connection. */
const openSockets = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "TCPSocketWrap").length

/** Polls `probe` every 20 ms until it gives `expected`, for up to 5 s; returns what it last gave. */
const eventually = async <A>(probe: () => A | Promise<A>, expected: A): Promise<A> => {
  const deadline = performance.now() + 5_000
  while (true) {
    const value = await probe()
    if (value === expected || performance.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const connected = async (port: number): Promise<LineClient> => {
  const client = await LineClient.connect(port)
  await client.until((line) => line.startsWith("*** type /help"))
  return client
}

describe("300 TCP connections of every kind", () => {
  it("leave no client, nick, room, fiber or socket behind", async () => {
    const socketsBefore = openSockets()
    const server = await startInProcess()
    const baseline = await server.fibers()
    const { port } = server

    // A witness in #lobby counts why people left (the flooder too: it leaves for #flood); a
    // flooder in #flood makes stalled readers too slow.
    const witness = await connected(port)
    const reasons = new Map<string, number>()
    witness.observe((line) => {
      const reason = /^\*\*\* \S+ left #lobby \((too slow|idle|quit|connection closed|joined #\S+)/.exec(line)?.[1]
      if (reason !== undefined) {
        reasons.set(reason.replace(/ #\S+/, ""), (reasons.get(reason.replace(/ #\S+/, "")) ?? 0) + 1)
      }
    })
    const flooder = await connected(port)
    flooder.send("/join flood")
    await flooder.until((line) => line.startsWith("*** joined #flood"))
    let tooSlow = 0
    flooder.observe((line) => {
      if (/^\*\*\* \S+ left #flood \(too slow\)$/.test(line)) tooSlow++
    })
    // Both must not go idle themselves (--idle-timeout 1s).
    const keepAlive = setInterval(() => {
      witness.send("/who")
      flooder.send("/who")
    }, 250)

    const cleanClose = async (i: number) => {
      const client = await connected(port)
      client.send(`/join room-${i % 7}`)
      await client.until((line) => line.startsWith("*** joined #room-"))
      client.send(`hello from ${i}`)
      client.end()
      await client.closed()
    }
    const quit = async (i: number) => {
      const client = await connected(port)
      client.send(`/nick quitter${i}`)
      client.send(`/quit bye ${i}`)
      await client.until((line) => line === "*** bye")
      assert.deepStrictEqual(await client.closed(), [])
    }
    const reset = async (i: number) => {
      const client = await connected(port)
      await client.write(`half a line from ${i}`)
      client.reset()
    }
    const idle = async (i: number) => {
      const client = await connected(port)
      client.send(`/nick idler${i}`)
      await client.until((line) => line === "*** disconnected: idle for 1s", 5_000)
      assert.deepStrictEqual(await client.closed(), [])
    }
    const stalled = async () => {
      const client = await connected(port)
      client.send("/join flood")
      await client.until((line) => line.startsWith("*** joined #flood"))
      client.pause()
      return client
    }

    const padding = "f".repeat(4000)
    for (let round = 0; round < perKind / perRound; round++) {
      const ids = Array.from({ length: perRound }, (_, k) => round * perRound + k)
      // Four kinds at once; then the stalled readers, so that the flood cannot hold up the others
      // for as long as the idle timeout.
      await Promise.all(ids.flatMap((i) => [cleanClose(i), quit(i), reset(i), idle(i)]))
      const stalledClients = await Promise.all(ids.map(stalled))
      const target = tooSlow + perRound
      for (let n = 0; tooSlow < target && n < 100_000; n += 10) {
        await flooder.write(Array.from({ length: 10 }, (_, k) => `${n + k} ${padding}\n`).join(""))
      }
      assert.strictEqual(tooSlow, target)
      for (const client of stalledClients) client.reset()
    }
    clearInterval(keepAlive)
    // Notices about others may wait a little for company; an answer takes them along. /rooms,
    // because an answer to the keep-alive's last /who may still be on its way.
    witness.send("/rooms")
    await witness.until((line) => line.startsWith("*** rooms:"))

    assert.deepStrictEqual(Object.fromEntries(reasons), {
      "connection closed": perKind,
      "joined": 2 * perKind + 1,
      "quit": perKind,
      "idle": perKind
    })
    assert.strictEqual(tooSlow, perKind)
    witness.send("/quit")
    flooder.send("/quit")
    await Promise.all([witness.closed(), flooder.closed()])

    const empty: Snapshot = { clients: 0, nicks: 0, rooms: [], shuttingDown: false }
    assert.strictEqual(
      await eventually(() => server.snapshot().then((s) => JSON.stringify(s)), JSON.stringify(empty)),
      JSON.stringify(empty)
    )
    assert.strictEqual(await eventually(server.fibers, baseline), baseline)
    await server.stop()
    assert.strictEqual(await eventually(openSockets, socketsBefore), socketsBefore)
  }, 60_000)
})

describe("an idle connection", () => {
  it("holds no fiber; reading and writing take one only while they work", async () => {
    const server = await startInProcess({ rate: 0 })
    const baseline = await server.fibers()
    const clients = await Promise.all(Array.from({ length: 20 }, () => connected(server.port)))
    assert.strictEqual(await eventually(server.fibers, baseline), baseline)

    // Everyone talks, and hears everyone else; then they are idle again.
    for (const [i, client] of clients.entries()) client.send(`hello from ${i}`)
    await Promise.all(clients.map((client) => {
      let heard = 0
      return client.until((line) => line.includes("> hello from ") && ++heard === clients.length - 1)
    }))
    assert.strictEqual(await eventually(server.fibers, baseline), baseline)

    // One stops reading while another floods: its writer waits for its full socket to drain, and
    // that fiber is counted (so the counts above are of the connections' fibers), until it reads.
    const [stalled, flooder] = clients
    stalled!.pause()
    const padding = "p".repeat(4000)
    for (let n = 0; n < 200 && (await server.fibers()) === baseline; n++) {
      flooder!.send(Array.from({ length: 10 }, (_, k) => `${n * 10 + k} ${padding}`).join("\n"))
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    assert.strictEqual(await server.fibers(), baseline + 1)
    stalled!.resume()
    assert.strictEqual(await eventually(server.fibers, baseline), baseline)

    for (const client of clients) client.send("/quit")
    await Promise.all(clients.map((client) => client.closed()))
    assert.strictEqual(await eventually(server.fibers, baseline), baseline)
    await server.stop()
  }, 60_000)
})
