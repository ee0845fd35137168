/**
 * The web listener over real sockets, without a browser: the WebSocket
 * protocol of PROTOCOL.md ("WebSocket") against a real `chat serve
 * --http-port 0`, beside `nc`-style TCP clients in the same rooms; what it
 * does with frames it cannot take; the Origin check; a reader that stops
 * reading; `/healthz` and `/metrics`.
 */
import { assert, describe, it } from "@effect/vitest"
import { afterAll } from "vitest"
import { destroyAllClients, LineClient } from "../support/LineClient.js"
import { stopAllProcesses } from "../support/ServerProcess.js"
import { startWebServer } from "../support/WebServer.js"
import { closeAllWsClients, WsClient } from "../support/WsClient.js"

afterAll(async () => {
  closeAllWsClients()
  destroyAllClients()
  await stopAllProcesses()
})

const get = async (url: string): Promise<{ status: number; type: string | null; body: string }> => {
  const response = await fetch(url)
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() }
}

describe("a browser's WebSocket and nc in the same room", () => {
  it("see each other's messages, actions and private messages", async () => {
    const server = await startWebServer()
    const alice = await WsClient.join(server.wsUrl, "alice")
    const bob = await LineClient.join(server.port)
    await alice.until((m) => m.type === "joined" && m.nick === bob.nick)
    bob.send("/nick bob")
    await alice.until((m) => m.type === "renamed" && m.to === "bob")
    assert.deepStrictEqual(await bob.line(), "*** you are now bob")

    alice.send({ type: "say", text: "hello from the browser" })
    assert.strictEqual(await bob.line(), "<alice> hello from the browser")
    bob.send("hello from nc")
    const said = await alice.until((m) => m.type === "message")
    assert.deepInclude(said[said.length - 1], { type: "message", room: "lobby", nick: "bob", text: "hello from nc" })

    alice.send({ type: "me", text: "waves" })
    assert.strictEqual(await bob.line(), "* alice waves")
    bob.send("/me waves back")
    const acted = await alice.until((m) => m.type === "action")
    assert.deepInclude(acted[acted.length - 1], { nick: "bob", text: "waves back" })

    alice.send({ type: "msg", to: "bob", text: "psst" })
    const sent = await alice.until((m) => m.type === "private")
    assert.deepStrictEqual(sent[sent.length - 1], {
      type: "private",
      side: "sent",
      from: "alice",
      to: "bob",
      text: "psst"
    })
    assert.strictEqual(await bob.line(), "[pm] <alice> psst")
    bob.send("/msg alice hi")
    assert.strictEqual(await bob.line(), "[pm -> alice] hi")
    const got = await alice.until((m) => m.type === "private")
    assert.deepStrictEqual(got[got.length - 1], {
      type: "private",
      side: "received",
      from: "bob",
      to: "alice",
      text: "hi"
    })

    alice.send({ type: "who" })
    const who = await alice.until((m) => m.type === "who")
    assert.deepStrictEqual(who[who.length - 1], { type: "who", room: "lobby", members: ["alice", "bob"] })

    alice.send({ type: "join", room: "kitchen" })
    const entered = await alice.until((m) => m.type === "entered")
    assert.deepStrictEqual(entered[entered.length - 1], {
      type: "entered",
      room: "kitchen",
      members: ["alice"],
      history: []
    })
    assert.strictEqual(await bob.line(), "*** alice left #lobby (joined #kitchen)")
    alice.send({ type: "rooms" })
    const rooms = await alice.until((m) => m.type === "rooms")
    assert.deepStrictEqual(rooms[rooms.length - 1], {
      type: "rooms",
      rooms: [{ room: "kitchen", members: 1 }, { room: "lobby", members: 1 }]
    })

    alice.send({ type: "quit", message: "gone" })
    await alice.until((m) => m.type === "bye")
    assert.strictEqual((await alice.closed()).code, 1000)
    assert.deepStrictEqual(alice.strays, [])
  })

  it("a room's history reaches a WebSocket client that joins", async () => {
    const server = await startWebServer()
    const nc = await LineClient.join(server.port)
    nc.send("first")
    nc.send("/me second")
    await nc.sync()
    const late = await WsClient.connect(server.wsUrl)
    late.send({ type: "join", room: "lobby" })
    const entered = await late.until((m) => m.type === "entered")
    const last = entered[entered.length - 1]!
    assert.strictEqual(last.type, "entered")
    if (last.type !== "entered") return
    assert.deepStrictEqual(last.history.map((m) => [m.type, m.nick, m.text]), [
      ["message", nc.nick, "first"],
      ["action", nc.nick, "second"]
    ])
  })
})

describe("frames it cannot take get an error, and the client stays", () => {
  it("bad JSON, an unknown type, a malformed command, a binary frame, a 1 MB frame", async () => {
    const server = await startWebServer()
    const client = await WsClient.join(server.wsUrl, "carol")
    const errorAfter = async (send: () => void) => {
      send()
      const seen = await client.until((m) => m.type === "error")
      return seen[seen.length - 1]
    }
    assert.deepStrictEqual(await errorAfter(() => client.sendRaw("{not json")), {
      type: "error",
      code: "UnknownCommand",
      message: "unknown message (not a JSON message with a type)"
    })
    assert.deepStrictEqual(await errorAfter(() => client.sendRaw(JSON.stringify({ type: "frobnicate" }))), {
      type: "error",
      code: "UnknownCommand",
      message: "unknown message \"frobnicate\""
    })
    assert.deepInclude(await errorAfter(() => client.sendRaw(JSON.stringify({ type: "nick" }))), {
      code: "Usage"
    })
    assert.deepInclude(await errorAfter(() => client.send({ type: "nick", nick: "<script>" })), {
      code: "InvalidNick"
    })
    assert.deepStrictEqual(
      await errorAfter(() => client.sendRaw(Buffer.from("{\"type\":\"who\"}"), { binary: true })),
      {
        type: "error",
        code: "UnknownCommand",
        message: "unknown message (binary frame)"
      }
    )
    const megabyte = JSON.stringify({ type: "say", text: "x".repeat(1_000_000) })
    assert.deepStrictEqual(await errorAfter(() => client.sendRaw(megabyte)), {
      type: "error",
      code: "LineTooLong",
      message: "message too long (max 4096 bytes)"
    })
    // Still here, still heard.
    client.send({ type: "who" })
    const who = await client.until((m) => m.type === "who")
    assert.deepStrictEqual(who[who.length - 1], { type: "who", room: "lobby", members: ["carol"] })
    assert.deepStrictEqual(client.strays, [])
  })

  it("a frame past the hard limit (2 MB) closes the connection with 1009, and the server carries on", async () => {
    const server = await startWebServer()
    const client = await WsClient.join(server.wsUrl, "dave")
    client.sendRaw("x".repeat(2 * 1024 * 1024))
    assert.strictEqual((await client.closed()).code, 1009)
    const next = await WsClient.join(server.wsUrl, "erin")
    next.send({ type: "who" })
    const who = await next.until((m) => m.type === "who")
    assert.deepStrictEqual(who[who.length - 1], { type: "who", room: "lobby", members: ["erin"] })
  })
})

describe("the limits of a TCP client apply", () => {
  it("--max-clients counts both listeners: one too many gets {type: full} and is closed", async () => {
    const server = await startWebServer(["--max-clients", "1"])
    const nc = await LineClient.join(server.port)
    const extra = await WsClient.connect(server.wsUrl)
    await extra.until((m) => m.type === "full")
    assert.strictEqual((await extra.closed()).code, 1000)
    nc.send("/quit")
    await nc.closed()
    const next = await WsClient.join(server.wsUrl, "next")
    assert.strictEqual(next.received[0]?.type, "welcome")
  })

  it("--idle-timeout: {type: idle}, then close; the room hears (idle)", async () => {
    const server = await startWebServer(["--idle-timeout", "1s"])
    const sleeper = await WsClient.join(server.wsUrl, "sleeper")
    const nc = await LineClient.join(server.port)
    const keepAlive = setInterval(() => nc.send("/who"), 200)
    const seen = await nc.until((line) => line.startsWith("*** sleeper left"), 5_000).finally(() =>
      clearInterval(keepAlive)
    )
    assert.strictEqual(seen[seen.length - 1], "*** sleeper left #lobby (idle)")
    const idle = await sleeper.until((m) => m.type === "idle")
    assert.deepStrictEqual(idle[idle.length - 1], { type: "idle", after: "1s" })
    assert.strictEqual((await sleeper.closed()).code, 1000)
  })
})

describe("Origin", () => {
  it("the page's own origin and clients without one are let in; another site's page is refused (403)", async () => {
    const server = await startWebServer()
    const own = await WsClient.connect(server.wsUrl, { origin: server.url.replace(/\/$/, "") })
    await own.until((m) => m.type === "welcome")
    const elsewhere = await WsClient.connect(server.wsUrl, { origin: "https://evil.example" }).then(
      () => "opened",
      (error: Error) => error.message
    )
    assert.strictEqual(elsewhere, "refused: 403")
  })

  it("--allowed-origins lists who may", async () => {
    const server = await startWebServer(["--allowed-origins", "https://chat.example.org, https://other.example"])
    const listed = await WsClient.connect(server.wsUrl, { origin: "https://chat.example.org" })
    await listed.until((m) => m.type === "welcome")
    const own = await WsClient.connect(server.wsUrl, { origin: server.url.replace(/\/$/, "") }).then(
      () => "opened",
      (error: Error) => error.message
    )
    assert.strictEqual(own, "refused: 403")
  })
})

describe("a reader that stops reading", () => {
  it("is cut off (too slow) while the others get everything, in order", async () => {
    const server = await startWebServer(["--max-queue", "200", "--rate", "0"])
    const slow = await WsClient.join(server.wsUrl, "slow")
    const readers = await Promise.all([WsClient.join(server.wsUrl, "reader"), LineClient.join(server.port)])
    const [reader, nc] = readers
    const flooder = await WsClient.join(server.wsUrl, "flooder")
    await reader.until((m) => m.type === "joined" && m.nick === "flooder")
    await nc.until((line) => line === "*** flooder joined #lobby")
    // The slow client's TCP connection stops being read: the server's writes to it back up.
    const raw = (slow.socket as unknown as { _socket: { pause: () => void } })._socket
    raw.pause()

    // Enough to fill the kernel's buffers on both sides (a few MB on localhost), then the outbox.
    const count = 3000
    const text = "y".repeat(3900)
    for (let i = 0; i < count; i++) flooder.send({ type: "say", text: `${i} ${text}` })

    const seen = await reader.until((m) => m.type === "message" && m.text.startsWith(`${count - 1} `), 30_000)
    const numbers = seen.filter((m) => m.type === "message" && m.nick === "flooder")
      .map((m) => (m.type === "message" ? Number(m.text.split(" ")[0]) : -1))
    assert.deepStrictEqual(numbers, Array.from({ length: count }, (_, i) => i))
    const lines = await nc.until((line) => line.startsWith(`<flooder> ${count - 1} `), 30_000)
    const ncNumbers = lines.filter((line) => line.startsWith("<flooder> ")).map((line) => Number(line.split(" ")[1]))
    assert.deepStrictEqual(ncNumbers, Array.from({ length: count }, (_, i) => i))
    // The cut-off came somewhere in the flood: the others heard it in order with the rest.
    const left = seen.find((m) => m.type === "left" && m.nick === "slow")
    assert.deepInclude(left, { type: "left", reason: { kind: "tooSlow" } })
    assert.isDefined(lines.find((line) => line === "*** slow left #lobby (too slow)"))
  }, 60_000)
})

describe("/healthz and /metrics", () => {
  it("/healthz: 200 ok while serving; the page and its assets come from the server itself", async () => {
    const server = await startWebServer()
    assert.deepStrictEqual(await get(`${server.url}healthz`), {
      status: 200,
      type: "text/plain; charset=utf-8",
      body: "ok\n"
    })
    const page = await get(server.url)
    assert.strictEqual(page.status, 200)
    assert.match(page.body, /role="log"/)
    assert.notMatch(page.body, /https?:\/\//)
    const script = await get(`${server.url}app.js`)
    assert.strictEqual(script.type, "text/javascript; charset=utf-8")
    assert.isAbove(script.body.length, 1000)
    assert.strictEqual((await get(`${server.url}style.css`)).status, 200)
    assert.strictEqual((await get(`${server.url}nope`)).status, 404)
  })

  it("/metrics counts a scripted conversation", async () => {
    const server = await startWebServer(["--max-queue", "20", "--rate", "0"])
    const alice = await WsClient.join(server.wsUrl, "alice")
    const bob = await LineClient.join(server.port)
    await alice.until((m) => m.type === "joined")
    alice.send({ type: "say", text: "one" })
    alice.send({ type: "say", text: "two" })
    alice.send({ type: "me", text: "three" })
    alice.sendRaw("not json")
    await alice.until((m) => m.type === "error")
    bob.send("hi")
    bob.send("/join kitchen")
    await alice.until((m) => m.type === "left")
    bob.send("/quit")
    await bob.closed()
    // A reader that stops reading, cut off.
    const slow = await WsClient.join(server.wsUrl, "slow")
    ;(slow.socket as unknown as { _socket: { pause: () => void } })._socket.pause()
    const big = "z".repeat(3900)
    for (let i = 0; i < 3000; i++) alice.send({ type: "say", text: `${i} ${big}` })
    await alice.until((m) => m.type === "left" && m.nick === "slow", 30_000)
    alice.send({ type: "quit" })
    await alice.closed()

    const metrics = await get(`${server.url}metrics`)
    assert.strictEqual(metrics.status, 200)
    assert.strictEqual(metrics.type, "text/plain; version=0.0.4; charset=utf-8")
    const value = (series: string): number | undefined => {
      const line = metrics.body.split("\n").find((l) => l.startsWith(`${series} `))
      return line === undefined ? undefined : Number(line.slice(series.length + 1))
    }
    assert.strictEqual(value("chat_connects_total{transport=\"ws\"}"), 2)
    assert.strictEqual(value("chat_connects_total{transport=\"line\"}"), 1)
    assert.strictEqual(value("chat_connections{transport=\"ws\"}"), 0)
    assert.strictEqual(value("chat_connections{transport=\"line\"}"), 0)
    assert.strictEqual(value("chat_disconnects_total{transport=\"ws\",reason=\"quit\"}"), 1)
    assert.strictEqual(value("chat_disconnects_total{transport=\"ws\",reason=\"tooslow\"}"), 1)
    assert.strictEqual(value("chat_disconnects_total{transport=\"line\",reason=\"quit\"}"), 1)
    assert.strictEqual(value("chat_slow_reader_cutoffs_total{transport=\"ws\"}"), 1)
    // alice: 2 + 400 says, 1 act, 1 error, her nick and join, her quit; bob (line): 1 say, 1 join, 1 quit (+ the /who of join).
    assert.strictEqual(value("chat_messages_total{transport=\"ws\",kind=\"say\"}"), 3002)
    assert.strictEqual(value("chat_messages_total{transport=\"ws\",kind=\"act\"}"), 1)
    assert.strictEqual(value("chat_messages_total{transport=\"ws\",kind=\"error\"}"), 1)
    assert.strictEqual(value("chat_messages_total{transport=\"line\",kind=\"say\"}"), 1)
    assert.strictEqual(value("chat_messages_total{transport=\"line\",kind=\"quit\"}"), 1)
    assert.isAbove(value("chat_deliveries_total{transport=\"ws\"}") ?? 0, 10)
    assert.isAbove(value("chat_deliveries_total{transport=\"line\"}") ?? 0, 3)
    assert.strictEqual(value("chat_outbox_backlog{transport=\"ws\"}"), 0)
    assert.strictEqual(value("chat_rooms"), 0)
    assert.isAbove(value("chat_process_resident_memory_bytes") ?? 0, 10_000_000)
    assert.isAtLeast(value("chat_process_event_loop_delay_max_seconds") ?? -1, 0)
    // Labels are transport, kind and reason only: no nick or room anywhere.
    assert.notMatch(metrics.body, /alice|bob|kitchen|lobby/)
  }, 60_000)

  it("flood control: lines that waited are counted", async () => {
    const server = await startWebServer(["--rate", "20", "--burst", "2"])
    const client = await WsClient.connect(server.wsUrl)
    await client.until((m) => m.type === "welcome")
    // Twelve at once: the burst takes two, the other ten each wait for a token.
    for (let i = 0; i < 12; i++) client.send({ type: "who" })
    for (let i = 0; i < 12; i++) await client.until((m) => m.type === "error" && m.code === "NotInRoom")
    const metrics = await get(`${server.url}metrics`)
    const line = metrics.body.split("\n").find((l) => l.startsWith("chat_flood_delayed_lines_total{transport=\"ws\"}"))
    assert.strictEqual(line, "chat_flood_delayed_lines_total{transport=\"ws\"} 10")
  })

  it("graceful shutdown: WebSocket clients hear it and are closed", async () => {
    const server = await startWebServer()
    const alice = await WsClient.join(server.wsUrl, "alice")
    const stopping = server.stop("SIGTERM")
    await alice.until((m) => m.type === "shutdown")
    const closed = await alice.closed()
    assert.include([1000, 1001, 1006], closed.code)
    const exit = await stopping
    assert.strictEqual(exit.code, 0)
    assert.isBelow(exit.ms, 5000)
  })
})
