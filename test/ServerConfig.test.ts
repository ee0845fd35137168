import { assert, describe, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import * as ServerConfig from "../src/ServerConfig.js"

const valid = (options: ServerConfig.ServerOptions): ServerConfig.ServerConfigShape =>
  Either.getOrThrowWith(
    ServerConfig.make(options),
    (error) => new Error(`expected ${JSON.stringify(options)} to be valid: ${error.option}: ${error.message}`)
  )

/** The option an invalid configuration is refused for. */
const refused = (options: ServerConfig.ServerOptions): ServerConfig.InvalidConfig =>
  Either.getOrThrowWith(
    Either.flip(ServerConfig.make(options)),
    () => new Error(`expected ${JSON.stringify(options)} to be refused`)
  )

const idle = (label: string): ServerConfig.IdleTimeout | undefined =>
  Either.getOrThrowWith(
    ServerConfig.parseIdleTimeout(label),
    (error) => new Error(`expected ${JSON.stringify(label)} to parse: ${error.message}`)
  )

describe("ServerConfig.make", () => {
  it("has the protocol's defaults", () => {
    const config = valid({})
    assert.strictEqual(config.maxClients, 10_000)
    assert.strictEqual(config.maxLineBytes, 4096)
    assert.strictEqual(config.maxQueue, 1000)
    assert.strictEqual(config.history, 50)
    assert.strictEqual(config.idleTimeout, undefined)
    assert.strictEqual(config.rate, 5)
    assert.strictEqual(config.burst, 10)
    assert.deepStrictEqual(config, ServerConfig.defaults)
  })

  it("has the defaults when called without options", () => {
    assert.deepStrictEqual(Either.getOrThrow(ServerConfig.make()), ServerConfig.defaults)
  })

  it("has no idle timeout when it is given as undefined", () => {
    assert.strictEqual(valid({ idleTimeout: undefined }).idleTimeout, undefined)
  })

  it("takes the options given", () => {
    const config = valid({
      maxClients: 3,
      maxLineBytes: 100,
      maxQueue: 7,
      history: 0,
      rate: 0,
      burst: 1,
      idleTimeout: "10m"
    })
    assert.strictEqual(config.maxClients, 3)
    assert.strictEqual(config.maxLineBytes, 100)
    assert.strictEqual(config.maxQueue, 7)
    assert.strictEqual(config.history, 0)
    assert.strictEqual(config.rate, 0)
    assert.strictEqual(config.burst, 1)
    assert.strictEqual(config.idleTimeout?.label, "10m")
    assert.strictEqual(Duration.toMillis(config.idleTimeout!.duration), 600_000)
  })

  it("accepts a fractional rate", () => {
    assert.strictEqual(valid({ rate: 0.5 }).rate, 0.5)
  })

  it("refuses --rate -1, naming the option", () => {
    const error = refused({ rate: -1 })
    assert.strictEqual(error._tag, "InvalidConfig")
    assert.strictEqual(error.option, "rate")
  })

  it("refuses a rate that is not a finite number", () => {
    assert.strictEqual(refused({ rate: Number.NaN }).option, "rate")
    assert.strictEqual(refused({ rate: Number.POSITIVE_INFINITY }).option, "rate")
  })

  it("refuses max-clients 0, naming the option", () => {
    const error = refused({ maxClients: 0 })
    assert.strictEqual(error._tag, "InvalidConfig")
    assert.strictEqual(error.option, "max-clients")
  })

  it("refuses a non-integer history, naming the option", () => {
    assert.strictEqual(refused({ history: 1.5 }).option, "history")
    assert.strictEqual(refused({ history: -1 }).option, "history")
  })

  it("refuses each bad whole-number option by its name", () => {
    assert.strictEqual(refused({ maxLineBytes: 0 }).option, "max-line-bytes")
    assert.strictEqual(refused({ maxQueue: 0 }).option, "max-queue")
    assert.strictEqual(refused({ burst: 0 }).option, "burst")
    assert.strictEqual(refused({ maxClients: 2.5 }).option, "max-clients")
  })

  it("refuses a bad idle timeout, naming the option", () => {
    assert.strictEqual(refused({ idleTimeout: "abc" }).option, "idle-timeout")
  })

  it("turns the idle timeout off with 0", () => {
    assert.strictEqual(valid({ idleTimeout: "0" }).idleTimeout, undefined)
  })
})

describe("ServerConfig.parseIdleTimeout", () => {
  it("90s", () => {
    const timeout = idle("90s")
    assert.strictEqual(Duration.toMillis(timeout!.duration), 90_000)
    assert.strictEqual(timeout!.label, "90s")
  })

  it("10m", () => {
    const timeout = idle("10m")
    assert.strictEqual(Duration.toMillis(timeout!.duration), 600_000)
    assert.strictEqual(timeout!.label, "10m")
  })

  it("1h", () => {
    const timeout = idle("1h")
    assert.strictEqual(Duration.toMillis(timeout!.duration), 3_600_000)
    assert.strictEqual(timeout!.label, "1h")
  })

  it("keeps the label as given", () => {
    assert.strictEqual(idle("90m")!.label, "90m")
    assert.strictEqual(idle("120s")!.label, "120s")
  })

  it("0 is off", () => {
    assert.strictEqual(idle("0"), undefined)
  })

  it("rejects abc", () => {
    const error = Either.getOrThrowWith(
      Either.flip(ServerConfig.parseIdleTimeout("abc")),
      () => new Error("expected abc to be rejected")
    )
    assert.strictEqual(error._tag, "InvalidConfig")
    assert.strictEqual(error.option, "idle-timeout")
    assert.include(error.message, "abc")
  })

  it("rejects other malformed values", () => {
    for (const label of ["", "-5s", "1.5m", "10 m", "m", "10d", "1h30m"]) {
      assert.isTrue(Either.isLeft(ServerConfig.parseIdleTimeout(label)), JSON.stringify(label))
    }
  })
})

describe("ServerConfig.make: per-address limits and TLS files", () => {
  it("16 per address, loopback exempt, no TLS by default", () => {
    const config = valid({})
    assert.strictEqual(config.maxPerAddress, 16)
    assert.deepStrictEqual(config.exemptAddresses.map((range) => range.text), ["127.0.0.0/8", "::1"])
    assert.strictEqual(config.tlsCert, undefined)
  })

  it("takes a list or a comma-separated string of ranges; the empty one exempts nobody", () => {
    assert.deepStrictEqual(valid({ exemptAddresses: "10.0.0.0/8, fd00::/8" }).exemptAddresses.map((r) => r.text), [
      "10.0.0.0/8",
      "fd00::/8"
    ])
    assert.deepStrictEqual(valid({ exemptAddresses: ["192.0.2.7"] }).exemptAddresses.map((r) => r.text), ["192.0.2.7"])
    assert.deepStrictEqual(valid({ exemptAddresses: "" }).exemptAddresses, [])
  })

  it("refuses a limit under 1, a bad range, and one TLS file without the other", () => {
    assert.strictEqual(refused({ maxPerAddress: 0 }).option, "max-per-address")
    assert.strictEqual(refused({ exemptAddresses: "10.0.0.0/40" }).option, "exempt-addresses")
    assert.strictEqual(refused({ tlsCert: "cert.pem" }).option, "tls-cert")
    assert.strictEqual(refused({ tlsKey: "key.pem" }).option, "tls-key")
    const config = valid({ tlsCert: "cert.pem", tlsKey: "key.pem" })
    assert.deepStrictEqual(
      ServerConfig.tlsFiles(config, "tls-port"),
      Either.right({ certFile: "cert.pem", keyFile: "key.pem" })
    )
    assert.strictEqual(
      Either.flip(ServerConfig.tlsFiles(valid({}), "irc-tls-port")).pipe(Either.getOrThrow).option,
      "irc-tls-port"
    )
  })
})
