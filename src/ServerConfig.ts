/**
 * Every knob of the chat server, its default, and its validation, in one place.
 * The CLI, embedding apps and tests all build a `ServerConfig` through `make`.
 */
import { Context, Data, Duration, Either, Layer } from "effect"
import * as AddressRange from "./server/AddressRange.js"

export interface IdleTimeout {
  readonly duration: Duration.Duration
  /** The value as the user gave it (`10m`), for `*** disconnected: idle for 10m`. */
  readonly label: string
}

export interface ServerConfigShape {
  /** Open connections at most; one more gets `! server full`. */
  readonly maxClients: number
  /** Longest line accepted, in bytes without its `\n`; also the most buffered for a partial line. */
  readonly maxLineBytes: number
  /** Lines queued for one client before it is cut off `(too slow)`. */
  readonly maxQueue: number
  /** Messages and actions each room replays to newcomers (0: none). */
  readonly history: number
  /** Disconnect a client that sends no line for this long (undefined: never). */
  readonly idleTimeout: IdleTimeout | undefined
  /** Lines per second a client may send once its burst is spent (0: no limit). */
  readonly rate: number
  /** Lines a client may send at once before `rate` applies. */
  readonly burst: number
  /**
   * How long a closing connection may take to write its last lines (`*** bye`,
   * the idle notice) before its socket is closed anyway.
   */
  readonly flushTimeout: Duration.Duration
  /**
   * How long shutdown waits for clients to receive `*** server shutting down`
   * before the remaining sockets are destroyed. Well under PROTOCOL.md's 5 s.
   */
  readonly shutdownGrace: Duration.Duration
  /**
   * Open connections at most from one client address (an IPv6 client: its
   * /64), on every listener together; one more gets the protocol's "too
   * many connections from your address".
   */
  readonly maxPerAddress: number
  /** Addresses that `maxPerAddress` does not apply to (default: loopback); empty: nobody's. */
  readonly exemptAddresses: ReadonlyArray<AddressRange.AddressRange>
  /** PEM files of the certificate and key TLS listeners serve; both or neither. */
  readonly tlsCert: string | undefined
  readonly tlsKey: string | undefined
}

export const defaults: ServerConfigShape = {
  maxClients: 10_000,
  maxLineBytes: 4096,
  maxQueue: 1000,
  history: 50,
  idleTimeout: undefined,
  rate: 5,
  burst: 10,
  flushTimeout: Duration.seconds(2),
  shutdownGrace: Duration.seconds(2),
  maxPerAddress: 16,
  exemptAddresses: Either.getOrThrow(AddressRange.parseList(AddressRange.loopback)),
  tlsCert: undefined,
  tlsKey: undefined
}

export class ServerConfig extends Context.Tag("chat/ServerConfig")<ServerConfig, ServerConfigShape>() {}

export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  readonly option: string
  readonly message: string
}> {}

/** What an embedding app or the CLI may set; everything else keeps its default. */
export type ServerOptions = Partial<Omit<ServerConfigShape, "idleTimeout" | "exemptAddresses">> & {
  /** `90s`, `10m`, `1h`, a number of seconds, or `0` for off. */
  readonly idleTimeout?: string | undefined
  /** Addresses and CIDR ranges, IPv4 or IPv6: a list, or one string separated by commas (`""`: none). */
  readonly exemptAddresses?: string | ReadonlyArray<string> | undefined
}

const integerAtLeast = (option: string, value: number, min: number): Either.Either<number, InvalidConfig> =>
  Number.isSafeInteger(value) && value >= min
    ? Either.right(value)
    : Either.left(new InvalidConfig({ option, message: `must be a whole number of at least ${min}, got ${value}` }))

const rateValue = (value: number): Either.Either<number, InvalidConfig> =>
  Number.isFinite(value) && value >= 0
    ? Either.right(value)
    : Either.left(new InvalidConfig({ option: "rate", message: `must be a number of at least 0, got ${value}` }))

const durationUnits: Record<string, (n: number) => Duration.Duration> = {
  "": Duration.seconds,
  ms: Duration.millis,
  s: Duration.seconds,
  m: Duration.minutes,
  h: Duration.hours
}

/** Parses `--idle-timeout`: `90s`, `10m`, `1h`, `250ms`, plain seconds; `0` turns it off. */
export const parseIdleTimeout = (label: string): Either.Either<IdleTimeout | undefined, InvalidConfig> => {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(label.trim())
  if (match === null) {
    return Either.left(
      new InvalidConfig({ option: "idle-timeout", message: `expected a duration like 90s, 10m or 1h, got "${label}"` })
    )
  }
  const amount = Number(match[1])
  if (amount === 0) return Either.right(undefined)
  const unit = durationUnits[match[2] ?? ""]!
  return Either.right({ duration: unit(amount), label: label.trim() })
}

/** Validates options over the defaults; the first bad option is the error. */
export const make = (options: ServerOptions = {}): Either.Either<ServerConfigShape, InvalidConfig> =>
  Either.gen(function*() {
    const merged = { ...defaults, ...withoutUndefined(options) }
    return {
      ...merged,
      maxClients: yield* integerAtLeast("max-clients", merged.maxClients, 1),
      maxLineBytes: yield* integerAtLeast("max-line-bytes", merged.maxLineBytes, 1),
      maxQueue: yield* integerAtLeast("max-queue", merged.maxQueue, 1),
      history: yield* integerAtLeast("history", merged.history, 0),
      rate: yield* rateValue(merged.rate),
      burst: yield* integerAtLeast("burst", merged.burst, 1),
      idleTimeout: options.idleTimeout === undefined ? undefined : yield* parseIdleTimeout(options.idleTimeout),
      maxPerAddress: yield* integerAtLeast("max-per-address", merged.maxPerAddress, 1),
      exemptAddresses: options.exemptAddresses === undefined
        ? defaults.exemptAddresses
        : yield* parseExemptAddresses(options.exemptAddresses),
      ...(yield* tlsFilesPaired(merged.tlsCert, merged.tlsKey))
    }
  })

const parseExemptAddresses = (
  list: string | ReadonlyArray<string>
): Either.Either<ReadonlyArray<AddressRange.AddressRange>, InvalidConfig> =>
  AddressRange.parseList(typeof list === "string" ? list.split(",") : list).pipe(
    Either.mapLeft((message) => new InvalidConfig({ option: "exempt-addresses", message }))
  )

const tlsFilesPaired = (
  tlsCert: string | undefined,
  tlsKey: string | undefined
): Either.Either<{ readonly tlsCert: string | undefined; readonly tlsKey: string | undefined }, InvalidConfig> =>
  tlsCert === undefined && tlsKey !== undefined
    ? Either.left(new InvalidConfig({ option: "tls-key", message: "needs --tls-cert FILE too" }))
    : tlsCert !== undefined && tlsKey === undefined
    ? Either.left(new InvalidConfig({ option: "tls-cert", message: "needs --tls-key FILE too" }))
    : Either.right({ tlsCert, tlsKey })

/**
 * The certificate files a TLS listener needs, or why it cannot start:
 * `option` names the listener's port option (`tls-port`, `irc-tls-port`).
 */
export const tlsFiles = (
  config: ServerConfigShape,
  option: string
): Either.Either<{ readonly certFile: string; readonly keyFile: string }, InvalidConfig> =>
  config.tlsCert === undefined || config.tlsKey === undefined
    ? Either.left(new InvalidConfig({ option, message: "needs --tls-cert FILE and --tls-key FILE" }))
    : Either.right({ certFile: config.tlsCert, keyFile: config.tlsKey })

const withoutUndefined = <A extends object>(options: A): Partial<A> =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<A>

/** The config as a layer; fails with `InvalidConfig` on a bad option. */
export const layer = (options: ServerOptions = {}): Layer.Layer<ServerConfig, InvalidConfig> =>
  Layer.effect(ServerConfig, make(options))
