/**
 * The line protocol over TLS (`--tls-port`, `--tls-cert`, `--tls-key`) and
 * `chat connect --tls`, end to end, with certificates made by `openssl` at
 * test time: a conversation across TLS and plain TCP, certificates that must
 * be refused, a plain-text client on the TLS port, a handshake that never
 * comes, and a reload on SIGHUP.
 *
 * Needs openssl; without it these tests are skipped (`.ci/run` installs it).
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import type * as Tls from "node:tls"
import { afterAll, assert, describe, it } from "vitest"
import type { KeyPair, TestCertificates } from "../support/Certificates.js"
import { hasOpenssl, install, makeCertificates } from "../support/Certificates.js"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { countLogs, waitForLog } from "../support/ServerLog.js"
import { runChat, startServer, stopAllProcesses } from "../support/ServerProcess.js"

if (!hasOpenssl) {
  console.warn("test/e2e/tls.test.ts: openssl is not installed, so the TLS tests are skipped (apt-get install openssl)")
}

const certs: TestCertificates | undefined = hasOpenssl ? makeCertificates() : undefined

/**
 * Each test starts servers and `chat` processes; on a loaded machine (two
 * cores shared with other work) a process can take seconds to start.
 */
const slow = 60_000

afterAll(async () => {
  destroyAllClients()
  await stopAllProcesses()
  certs?.remove()
  assert.deepStrictEqual(takeStrayLines(), [])
})

let servers = 0

/**
 * A server with a TLS listener serving `pair`, copied to files of its own
 * (so a test can replace them and reload); `tlsPort` from its log.
 */
const startTls = async (pair: KeyPair, extra: ReadonlyArray<string> = []) => {
  const { dir } = certs!
  const n = ++servers
  const files = { cert: Path.join(dir, `served-${n}.pem`), key: Path.join(dir, `served-${n}-key.pem`) }
  install(pair, files)
  const server = await startServer(["--tls-port", "0", "--tls-cert", files.cert, "--tls-key", files.key, ...extra])
  const match = await waitForLog(server, /tls listening on \S+:(\d+)/)
  return { server, tlsPort: Number(match[1]), files }
}

const ca = (): string => Fs.readFileSync(certs!.ca, "utf8")
const overTls = () => ({ tls: { ca: ca() } })
const peerName = (client: LineClient): unknown => (client.socket as Tls.TLSSocket).getPeerCertificate().subject.CN

// One test at a time: each starts servers and `chat` processes, and together they
// could take longer to start than a test waits on a machine shared with other work.
describe.skipIf(!hasOpenssl)("the line protocol over TLS", { timeout: slow }, () => {
  it("a client over TLS and an nc client over TCP talk in one room", async () => {
    const { server, tlsPort } = await startTls(certs!.server)
    const log = server.stderr()
    // The line protocol's `listening on` first, then the TLS listener's.
    assert.isAtLeast(log.search(/(?<!tls )listening on 127\.0\.0\.1:\d+/), 0)
    assert.isBelow(log.search(/(?<!tls )listening on 127\.0\.0\.1:\d+/), log.indexOf("tls listening on"))

    const secure = await LineClient.join(tlsPort, overTls())
    assert.strictEqual(secure.welcome[0], "*** welcome to chat, you are guest-1 in #lobby (1 here)")
    assert.strictEqual(peerName(secure), "chat-one")
    const plain = await LineClient.join(server.port)
    assert.strictEqual(await secure.line(), "*** guest-2 joined #lobby")
    plain.send("hello from nc")
    assert.strictEqual(await secure.line(), "<guest-2> hello from nc")
    secure.send("/me waves over TLS")
    assert.strictEqual(await plain.line(), "* guest-1 waves over TLS")
    secure.send("/quit")
    assert.deepStrictEqual(await secure.closed(), ["*** bye"])
    assert.strictEqual(await plain.line(), "*** guest-1 left #lobby (quit)")
  })

  it("`chat connect --tls --ca` verifies the server against a private CA, by IP and by name", async () => {
    const { tlsPort } = await startTls(certs!.server)
    const hosts = ["127.0.0.1", "localhost"]
    const runs = await Promise.all(
      hosts.map((host) =>
        runChat(["connect", "--host", host, "--port", String(tlsPort), "--tls", "--ca", certs!.ca], {
          input: "/who\n",
          timeoutMs: slow
        })
      )
    )
    for (const run of runs) {
      assert.strictEqual(run.stderr, "")
      assert.include(run.stdout, "*** in #lobby: guest-")
      assert.include(run.stdout, "*** bye")
      assert.strictEqual(run.code, 0)
    }
  })

  it(
    "`chat connect --tls` refuses a self-signed certificate, a CA it does not trust and a wrong host: one line, exit 1",
    async () => {
      const selfSigned = await startTls(certs!.selfSigned)
      const wrongHost = await startTls(certs!.wrongHost)
      const cases: Array<[ReadonlyArray<string>, RegExp]> = [
        [["--port", String(selfSigned.tlsPort), "--tls"], /the server's certificate is self-signed and not trusted/],
        [
          ["--port", String(selfSigned.tlsPort), "--tls", "--ca", certs!.ca],
          /the server's certificate is self-signed and not trusted/
        ],
        [["--port", String(wrongHost.tlsPort), "--tls"], /signed by an unknown authority \(--ca FILE/],
        [
          ["--port", String(wrongHost.tlsPort), "--tls", "--ca", certs!.ca],
          /the server's certificate is not valid for this host: .*127\.0\.0\.1/
        ],
        [["--port", String(wrongHost.server.port), "--tls", "--ca", certs!.ca], /the server does not speak TLS/],
        [
          ["--port", String(wrongHost.tlsPort), "--tls", "--ca", "/no/such/ca.pem"],
          /cannot read --ca \/no\/such\/ca\.pem/
        ]
      ]
      // Side by side: each is a process that takes a while to start.
      const runs = await Promise.all(
        cases.map(([args]) => runChat(["connect", ...args], { input: "hello\n", timeoutMs: slow }))
      )
      runs.forEach((run, i) => {
        const [args, reason] = cases[i]!
        assert.strictEqual(run.code, 1, args.join(" "))
        assert.strictEqual(run.stdout, "")
        const lines = run.stderr.trimEnd().split("\n")
        assert.lengthOf(lines, 1)
        assert.match(lines[0] ?? "", /^chat: cannot connect to 127\.0\.0\.1:\d+: /)
        assert.match(lines[0] ?? "", reason)
      })
      // Nobody got in: the rooms are empty.
      const check = await LineClient.join(selfSigned.server.port)
      assert.strictEqual(check.nick, "guest-1")
    }
  )

  it("`chat connect --tls --insecure` connects to any certificate, and says so loudly", async () => {
    const { tlsPort } = await startTls(certs!.selfSigned)
    const run = await runChat(["connect", "--port", String(tlsPort), "--tls", "--insecure"], {
      input: "/who\n",
      timeoutMs: slow
    })
    assert.strictEqual(run.code, 0)
    assert.include(run.stdout, "*** in #lobby: guest-1")
    assert.match(run.stderr, /^chat: WARNING: --insecure: the server's certificate is NOT verified/)
  })

  it("a plain-text client on the TLS port is cut off; the server carries on", async () => {
    const { server, tlsPort } = await startTls(certs!.server)
    const plain = await LineClient.connect(tlsPort)
    plain.send("/nick mallory")
    plain.send("hello?")
    const started = performance.now()
    assert.deepStrictEqual(await plain.closed(5_000), [])
    assert.isBelow(performance.now() - started, 2_000)
    // Both listeners still serve.
    const secure = await LineClient.join(tlsPort, overTls())
    const other = await LineClient.join(server.port)
    assert.strictEqual(await secure.line(), `*** ${other.nick} joined #lobby`)
    assert.strictEqual(server.process.exitCode, null)
  })

  it("a handshake that never comes is cut off after a few seconds, and holds no --max-clients slot", async () => {
    const { server, tlsPort } = await startTls(certs!.server, ["--max-clients", "1"])
    const started = performance.now()
    const silent = Net.createConnection({ host: "127.0.0.1", port: tlsPort })
    const silentClosed = new Promise<number>((resolve) => silent.once("close", () => resolve(performance.now())))
    silent.on("error", () => {})
    await new Promise((resolve) => silent.once("connect", resolve))

    // The one slot is still free for a real client while the handshake stalls.
    const plain = await LineClient.join(server.port)
    assert.strictEqual(plain.nick, "guest-1")
    // ...and a finished handshake is counted: the next one, over TLS, is told the server is full.
    const extra = await LineClient.connect(tlsPort, overTls())
    assert.deepStrictEqual(await extra.closed(), ["! server full"])

    const closedAt = await silentClosed
    assert.isAtLeast(closedAt - started, 4_000)
    assert.isBelow(closedAt - started, 8_000)
    plain.send("/who")
    assert.strictEqual(await plain.line(), "*** in #lobby: guest-1")
  })

  it("handshakes in progress are bounded per address: past 32, one more is closed at once; others are served", async () => {
    const { tlsPort } = await startTls(certs!.server)
    const stall = (localAddress: string) =>
      new Promise<{ readonly closed: Promise<number> }>((resolve) => {
        const socket = Net.createConnection({ host: "127.0.0.1", port: tlsPort, localAddress })
        socket.on("error", () => {})
        const closed = new Promise<number>((done) => socket.once("close", () => done(performance.now())))
        socket.once("connect", () => resolve({ closed }))
      })
    const held = []
    for (let i = 0; i < 32; i++) held.push(await stall("127.0.0.2"))
    const started = performance.now()
    const extra = await stall("127.0.0.2")
    assert.isBelow((await extra.closed) - started, 1_000)
    // Another address is not affected, and completes its handshake.
    const other = await LineClient.join(tlsPort, { ...overTls(), localAddress: "127.0.0.3" })
    assert.strictEqual(other.nick, "guest-1")
    // The 32 were cut off by the handshake timeout, not before.
    const closedAt = await Promise.all(held.map((stalled) => stalled.closed))
    assert.isAbove(Math.min(...closedAt) - started, 3_000)
  })

  it("shutdown tells TLS clients and closes them, and a stalled handshake does not hold it up", async () => {
    const { server, tlsPort } = await startTls(certs!.server)
    const secure = await LineClient.join(tlsPort, overTls())
    const silent = Net.createConnection({ host: "127.0.0.1", port: tlsPort })
    silent.on("error", () => {})
    await new Promise((resolve) => silent.once("connect", resolve))
    const stopped = await server.stop("SIGTERM")
    assert.strictEqual(stopped.code, 0)
    assert.isBelow(stopped.ms, 4_000)
    assert.deepStrictEqual(await secure.closed(), ["*** server shutting down"])
    silent.destroy()
  })

  it("SIGHUP reloads the certificate: new connections get it, open ones carry on; a bad one is refused", async () => {
    const { files, server, tlsPort } = await startTls(certs!.server)
    const before = await LineClient.join(tlsPort, overTls())
    assert.strictEqual(peerName(before), "chat-one")

    install(certs!.renewed, files)
    server.process.kill("SIGHUP")
    await waitForLog(server, /TLS certificates reloaded from/)
    const after = await LineClient.join(tlsPort, overTls())
    assert.strictEqual(peerName(after), "chat-two")
    assert.strictEqual(await before.line(), `*** ${after.nick} joined #lobby`)
    before.send("still here")
    assert.strictEqual(await after.line(), `<${before.nick}> still here`)

    // A certificate whose key does not match: logged, and the last good one stays.
    install({ cert: certs!.server.cert, key: certs!.renewed.key }, files)
    server.process.kill("SIGHUP")
    await waitForLog(server, /TLS certificates not reloaded, still serving the old ones: .*key values mismatch/)
    const third = await LineClient.join(tlsPort, overTls())
    assert.strictEqual(peerName(third), "chat-two")
    assert.strictEqual(countLogs(server, /TLS certificates reloaded from/g), 1)
    assert.strictEqual(server.process.exitCode, null)
  })
})

describe.skipIf(!hasOpenssl).concurrent("TLS options are checked at start", { timeout: slow }, () => {
  const refused = async (args: ReadonlyArray<string>, message: RegExp) => {
    const run = await runChat(["serve", "--port", "0", ...args], { timeoutMs: slow })
    assert.strictEqual(run.code, 1)
    assert.notInclude(run.stderr, "listening on")
    const lines = run.stderr.trimEnd().split("\n")
    assert.lengthOf(lines, 1)
    assert.match(lines[0] ?? "", message)
  }

  it("--tls-port needs a certificate and its key", async () => {
    await Promise.all([
      refused(["--tls-port", "0"], /^chat: --tls-port needs --tls-cert FILE and --tls-key FILE$/),
      refused(["--tls-port", "0", "--tls-cert", certs!.server.cert], /^chat: --tls-cert needs --tls-key FILE too$/),
      refused(
        ["--tls-port", "70000", "--tls-cert", certs!.server.cert, "--tls-key", certs!.server.key],
        /^chat: --tls-port must be from 0 to 65535/
      )
    ])
  })

  it("an unreadable file or a key that does not match its certificate stops the start", async () => {
    await Promise.all([
      refused(
        ["--tls-port", "0", "--tls-cert", "/no/such/cert.pem", "--tls-key", certs!.server.key],
        /^chat: cannot read \/no\/such\/cert\.pem: ENOENT/
      ),
      refused(
        ["--tls-port", "0", "--tls-cert", certs!.server.cert, "--tls-key", certs!.renewed.key],
        /^chat: .*server\.pem and its key are not a usable certificate: .*key values mismatch/
      )
    ])
  })
})
