/**
 * PROTOCOL.md, "Framing": lines, UTF-8, the line length limit, and how
 * relayed text is cleaned — over real TCP against `chat serve`.
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

/** A server and two quiet clients in `#lobby`: guest-1 speaks, guest-2 listens. */
const pair = async (args: ReadonlyArray<string> = []) => {
  const server = await sharedServer(["--rate", "0", ...args])
  const [alice, bob] = await LineClient.group(server.port, 2)
  return { server, alice: alice!, bob: bob! }
}

describe("line endings", () => {
  it("drops the \\r of \\r\\n and ends every line it sends with \\n", async () => {
    const { alice, bob } = await pair()
    await alice.write("hello\r\nworld\n")
    assert.strictEqual(await bob.line(), "<guest-1> hello")
    assert.strictEqual(await bob.line(), "<guest-1> world")
    alice.send("/quit")
    assert.strictEqual(await alice.line(), "*** bye")
    assert.deepStrictEqual(await alice.closed(), [])
    assert.strictEqual(alice.unterminated, "")
  })

  it("handles several lines in one write and one line over several writes", async () => {
    const { alice, bob } = await pair()
    await alice.write("one\r\ntwo\nth")
    assert.strictEqual(await bob.line(), "<guest-1> one")
    assert.strictEqual(await bob.line(), "<guest-1> two")
    await alice.write("ree\r")
    await alice.write("\n")
    assert.strictEqual(await bob.line(), "<guest-1> three")
  })
})

describe("UTF-8", () => {
  it("relays multi-byte characters, even split across writes", async () => {
    const { alice, bob } = await pair()
    const bytes = Buffer.from("héllo wörld 你好 🎉\n", "utf8")
    await alice.write(bytes.subarray(0, 2))
    await alice.write(bytes.subarray(2, 15))
    await alice.write(bytes.subarray(15))
    assert.strictEqual(await bob.line(), "<guest-1> héllo wörld 你好 🎉")
  })

  it("decodes invalid UTF-8 as U+FFFD, relays it, and keeps the connection", async () => {
    const { alice, bob } = await pair()
    await alice.write(Uint8Array.from([0x68, 0x69, 0xff, 0x21, 0x0a]))
    assert.strictEqual(await bob.line(), "<guest-1> hi\uFFFD!")
    await alice.write(Uint8Array.from([0xc3, 0x28, 0x61, 0x0a]))
    assert.match(await bob.line(), /^<guest-1> \uFFFD+\(a$/)
    alice.send("still here")
    assert.strictEqual(await bob.line(), "<guest-1> still here")
    assert.strictEqual((await alice.sync()).at(-1), "*** in #lobby: guest-1, guest-2")
  })
})

describe("line length", () => {
  it("answers a 10 KB line with exactly one error and stays usable", async () => {
    const { alice, bob } = await pair()
    await alice.write(`${"x".repeat(10 * 1024)}\n`)
    alice.send("/who")
    assert.strictEqual(await alice.line(), "! line too long (max 4096 bytes)")
    assert.strictEqual(await alice.line(), "*** in #lobby: guest-1, guest-2")
    alice.send("after")
    assert.strictEqual(await bob.line(), "<guest-1> after")
  })

  it("answers a long line that arrives in many pieces with one error", async () => {
    const { alice, bob } = await pair()
    for (let i = 0; i < 10; i++) await alice.write("y".repeat(1000))
    await alice.write("\r\nafter\n")
    assert.strictEqual(await alice.line(), "! line too long (max 4096 bytes)")
    assert.strictEqual(await bob.line(), "<guest-1> after")
    assert.strictEqual((await alice.sync()).at(-1), "*** in #lobby: guest-1, guest-2")
  })

  it("accepts exactly 4096 bytes, with \\n or \\r\\n, and refuses 4097", async () => {
    const { alice, bob } = await pair()
    const max = "m".repeat(4096)
    await alice.write(`${max}\n`)
    assert.strictEqual(await bob.line(), `<guest-1> ${max}`)
    await alice.write(`${max}\r\n`)
    assert.strictEqual(await bob.line(), `<guest-1> ${max}`)
    await alice.write(`${max}z\n`)
    alice.send("/who")
    assert.strictEqual(await alice.line(), "! line too long (max 4096 bytes)")
    assert.strictEqual(await alice.line(), "*** in #lobby: guest-1, guest-2")
    alice.send("next")
    assert.strictEqual(await bob.line(), "<guest-1> next")
  })

  it("does not count a \\r that arrives apart from its \\n", async () => {
    const { alice, bob } = await pair()
    const max = "c".repeat(4096)
    await alice.write(max)
    await alice.write("\r")
    await alice.write("\n")
    assert.strictEqual(await bob.line(), `<guest-1> ${max}`)
    // A \r followed by anything but \n is content: 4098 bytes.
    await alice.write(max)
    await alice.write("\r")
    await alice.write("y\n")
    assert.strictEqual(await alice.line(), "! line too long (max 4096 bytes)")
    alice.send("ok")
    assert.strictEqual(await bob.line(), "<guest-1> ok")
  })

  it("counts bytes, not characters, under --max-line-bytes 10", async () => {
    const { alice, bob } = await pair(["--max-line-bytes", "10"])
    alice.send("0123456789")
    assert.strictEqual(await bob.line(), "<guest-1> 0123456789")
    alice.send("ééééé")
    assert.strictEqual(await bob.line(), "<guest-1> ééééé")
    alice.send("0123456789A")
    assert.strictEqual(await alice.line(), "! line too long (max 10 bytes)")
    alice.send("éééééé")
    assert.strictEqual(await alice.line(), "! line too long (max 10 bytes)")
    alice.send("short")
    assert.strictEqual(await bob.line(), "<guest-1> short")
    alice.send("/who")
    assert.strictEqual(await alice.line(), "*** in #lobby: guest-1, guest-2")
  })
})

describe("cleaning relayed text", () => {
  it("removes control characters and ESC but keeps TAB", async () => {
    const { alice, bob } = await pair()
    alice.send("a\x1b[31mred\x1b[0m\x00\x07\tb\x7f\u0085\u009bc\rd")
    assert.strictEqual(await bob.line(), "<guest-1> a[31mred[0m\tbcd")
  })

  it("cleans actions and private messages too", async () => {
    const { alice, bob } = await pair()
    alice.send("/me \x1b]0;pwned\x07waves")
    assert.strictEqual(await bob.line(), "* guest-1 ]0;pwnedwaves")
    alice.send("/msg guest-2 \x1b[2Jhi")
    assert.strictEqual(await bob.line(), "[pm] <guest-1> [2Jhi")
    assert.strictEqual(await alice.line(), "[pm -> guest-2] [2Jhi")
  })

  it("trims trailing white space, Unicode included, and keeps leading space", async () => {
    const { alice, bob } = await pair()
    alice.send("hi \t\u00a0\u3000\u2003 ")
    assert.strictEqual(await bob.line(), "<guest-1> hi")
    alice.send("  indented")
    assert.strictEqual(await bob.line(), "<guest-1>   indented")
  })

  it("ignores a line that is empty after cleaning", async () => {
    const { alice, bob } = await pair()
    await alice.write("\n\r\n   \n\t\n\x1b\x07\n\u00a0\n")
    alice.send("next")
    assert.strictEqual(await bob.line(), "<guest-1> next")
    // Nothing for the sender either: no error, no echo.
    alice.send("/who")
    assert.strictEqual(await alice.line(), "*** in #lobby: guest-1, guest-2")
  })
})
