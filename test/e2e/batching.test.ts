/**
 * How `SocketTcp` gathers a connection's writes: over a real loopback
 * connection, what the server side writes in one turn reaches the peer as
 * one chunk (one system call), notices about others wait for company, and
 * nothing is ever reordered or left behind; a writer waiting for a full
 * socket is always woken.
 */
import { Effect } from "effect"
import * as Net from "node:net"
import { afterEach, assert, describe, it } from "vitest"
import * as DirectWrite from "../../src/socket/DirectWrite.js"
import * as SocketTcp from "../../src/socket/SocketTcp.js"

const open: Array<Net.Socket | Net.Server> = []
afterEach(() => {
  for (const handle of open.splice(0)) {
    if (handle instanceof Net.Server) handle.close()
    else handle.destroy()
  }
})

/** A connected pair: the server's side adapted with `batching`, the peer recording each chunk it reads. */
const connectedPair = async (batching: SocketTcp.Batching) => {
  let peer: Net.Socket | undefined
  const accepted = new Promise<Net.Socket>((resolve) => {
    const server = Net.createServer({ noDelay: true }, resolve)
    open.push(server)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      peer = Net.connect({ port, host: "127.0.0.1", noDelay: true })
      open.push(peer)
      peer.setEncoding("utf8")
      peer.on("data", (chunk: string) => {
        chunks.push(chunk)
        for (const wake of waiting.splice(0)) wake()
      })
    })
  })
  const chunks: Array<string> = []
  const waiting: Array<() => void> = []
  const conn = await accepted
  open.push(conn)
  const direct = DirectWrite.of(SocketTcp.fromNetSocket(conn, batching))!
  /** Waits until the peer has read as much as `text`, and returns the chunks, for the test to compare. */
  const received = (text: string): Promise<Array<string>> =>
    new Promise((resolve) => {
      const check = () => chunks.join("").length >= text.length ? resolve([...chunks]) : waiting.push(check)
      check()
    })
  return { direct, received, peer: peer! }
}

describe("SocketTcp writes", () => {
  it("sends what one turn writes as one chunk, in order", async () => {
    const { direct, received } = await connectedPair(SocketTcp.makeBatching())
    for (const line of ["<a> one\n", "<b> two\n", "<a> three\n"]) assert.strictEqual(direct.write(line, false), "ok")
    assert.deepStrictEqual(await received("<a> one\n<b> two\n<a> three\n"), ["<a> one\n<b> two\n<a> three\n"])
  })

  it("lets notices wait, over several turns, to go out together", async () => {
    const { direct, received } = await connectedPair(SocketTcp.makeBatching({ noticeDelayMillis: 200 }))
    direct.write("*** x joined #lobby\n", true)
    // Two more turns of the event loop: the first notice is still waiting for company.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    direct.write("*** y joined #lobby\n", true)
    assert.deepStrictEqual(await received("*** x joined #lobby\n*** y joined #lobby\n"), [
      "*** x joined #lobby\n*** y joined #lobby\n"
    ])
  })

  it("sends waiting notices with the next message, before it", async () => {
    const { direct, received } = await connectedPair(SocketTcp.makeBatching({ noticeDelayMillis: 60_000 }))
    direct.write("*** x joined #lobby\n", true)
    await new Promise((resolve) => setImmediate(resolve))
    direct.write("<x> hi\n", false)
    // Well before the minute the notice could wait.
    assert.deepStrictEqual(await received("*** x joined #lobby\n<x> hi\n"), ["*** x joined #lobby\n<x> hi\n"])
  })

  it("sends at once past the size bound", async () => {
    const { direct, received } = await connectedPair(SocketTcp.makeBatching({ flushAt: 10, noticeDelayMillis: 60_000 }))
    direct.write("*** a long notice\n", true)
    assert.deepStrictEqual(await received("*** a long notice\n"), ["*** a long notice\n"])
  })

  // The writer asks to wait for a drain only after a write said "full", and
  // in between the drain may already have come and gone: it must not wait
  // for one that will never come.
  it("a wait for the socket to drain that starts after it drained returns at once", async () => {
    const { direct, peer, received } = await connectedPair(SocketTcp.makeBatching())
    peer.pause()
    const chunk = `${"x".repeat(64 * 1024 - 1)}\n`
    let sent = ""
    let full = false
    // Kernel buffers on loopback hold a few MB, far less than 64 MB.
    for (let i = 0; i < 1024 && !full; i++) {
      sent += chunk
      full = direct.write(chunk, false) === "full"
    }
    assert.strictEqual(full, true)
    peer.resume()
    assert.strictEqual((await received(sent)).join(""), sent)
    await new Promise((resolve) => setImmediate(resolve))
    await Effect.runPromise(direct.drained)
  })
})
