/**
 * The command line: `chat serve` and `chat connect`, their options, and how
 * each failure reads. Options are validated by `ServerConfig.make`, so the
 * CLI, embedding apps and tests accept exactly the same values.
 */
import { Command, Options } from "@effect/cli"
import type * as SocketServer from "@effect/platform/SocketServer"
import { Data, Effect, Layer, Logger, LogLevel, Option } from "effect"
import * as Client from "./client/Client.js"
import * as Backplane from "./hub/Backplane.js"
import type { Hub } from "./hub/Hub.js"
import * as LineProtocol from "./protocol/line/LineProtocol.js"
import type { WireProtocol } from "./protocol/WireProtocol.js"
import type { Capacity } from "./server/Capacity.js"
import * as ChatServer from "./server/ChatServer.js"
import * as ChatTcp from "./server/ChatTcp.js"
import * as ChatTls from "./server/ChatTls.js"
import * as ServerConfig from "./ServerConfig.js"
import type * as SocketTls from "./socket/SocketTls.js"

/** The server could not listen; the reason in words (`address in use`). */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly address: string
  readonly cause: SocketServer.SocketServerError
}> {
  override get message(): string {
    return `cannot listen on ${this.address}: ${describeListenError(this.cause.cause)}`
  }
}

const listenErrors: Record<string, string> = {
  EADDRINUSE: "address in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host"
}

const describeListenError = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  return listenErrors[code] ?? Client.describeErrno(cause)
}

// ---------------------------------------------------------------------------
// Shared options

const defaults = ServerConfig.defaults

const host = Options.text("host").pipe(
  Options.withDefault("127.0.0.1"),
  Options.withDescription("The address to listen on / connect to.")
)

const port = Options.integer("port").pipe(
  Options.withAlias("p"),
  Options.withDefault(8888),
  Options.filterMap((n) => n >= 0 && n <= 65535 ? Option.some(n) : Option.none(), "--port must be from 0 to 65535"),
  Options.withDescription("The TCP port (0 takes a free port when serving).")
)

// ---------------------------------------------------------------------------
// chat serve

const serveOptions = {
  host,
  port,
  maxClients: Options.integer("max-clients").pipe(
    Options.withDefault(defaults.maxClients),
    Options.withDescription("Open connections at most; past it: `! server full`.")
  ),
  maxLineBytes: Options.integer("max-line-bytes").pipe(
    Options.withDefault(defaults.maxLineBytes),
    Options.withDescription("The longest line accepted, in bytes.")
  ),
  maxQueue: Options.integer("max-queue").pipe(
    Options.withDefault(defaults.maxQueue),
    Options.withDescription("Lines queued for a slow reader before it is disconnected (too slow).")
  ),
  history: Options.integer("history").pipe(
    Options.withDefault(defaults.history),
    Options.withDescription("Messages each room replays to newcomers (0: off).")
  ),
  idleTimeout: Options.text("idle-timeout").pipe(
    Options.withDefault("0"),
    Options.withDescription("Disconnect a client silent for this long: 90s, 10m, 1h (0: off).")
  ),
  rate: Options.float("rate").pipe(
    Options.withDefault(defaults.rate),
    Options.withDescription("Lines per second per client after the burst (0: no flood control).")
  ),
  burst: Options.integer("burst").pipe(
    Options.withDefault(defaults.burst),
    Options.withDescription("Lines a client may send at once before --rate applies.")
  ),
  verbose: Options.boolean("verbose").pipe(
    Options.withAlias("v"),
    Options.withDescription("Log every connection (debug level).")
  ),
  maxPerAddress: Options.integer("max-per-address").pipe(
    Options.withDefault(defaults.maxPerAddress),
    Options.withDescription("Open connections at most from one address, on all listeners together.")
  ),
  exemptAddresses: Options.text("exempt-addresses").pipe(
    Options.withDefault(defaults.exemptAddresses.map((range) => range.text).join(",")),
    Options.withDescription(
      "Addresses and CIDR ranges --max-per-address does not apply to, comma-separated (\"\": none)."
    )
  ),
  tlsPort: Options.integer("tls-port").pipe(
    Options.optional,
    Options.withDescription("Also serve the line protocol over TLS on this port (needs --tls-cert and --tls-key).")
  ),
  tlsCert: Options.file("tls-cert").pipe(
    Options.optional,
    Options.map(Option.getOrUndefined),
    Options.withDescription("PEM certificate (chain) for TLS listeners; reloaded on SIGHUP.")
  ),
  tlsKey: Options.file("tls-key").pipe(
    Options.optional,
    Options.map(Option.getOrUndefined),
    Options.withDescription("PEM private key for TLS listeners; reloaded on SIGHUP.")
  )
}

const portRange = (option: string, port: number): Effect.Effect<number, ServerConfig.InvalidConfig> =>
  port >= 0 && port <= 65535
    ? Effect.succeed(port)
    : Effect.fail(new ServerConfig.InvalidConfig({ option, message: `must be from 0 to 65535, got ${port}` }))

/** A listener over TLS that `chat serve` may be asked for: a protocol on the port of `--OPTION`. */
interface TlsListen {
  readonly option: string
  readonly protocol: WireProtocol
  readonly port: Option.Option<number>
  readonly announce: string
}

type Node = Hub | Capacity | ServerConfig.ServerConfig

/**
 * `server` and the TLS listeners asked for (those with a port), after it:
 * their `announce` lines follow its `listening on`. They share the
 * certificates, loaded before anything listens (unusable ones stop the
 * start) and reloaded on SIGHUP.
 */
const withTlsListeners = <E>(
  server: Layer.Layer<Node, E>,
  config: ServerConfig.ServerConfigShape,
  host: string,
  wanted: ReadonlyArray<TlsListen>
): Effect.Effect<Layer.Layer<Node, E | ListenFailed | SocketTls.TlsError>, ServerConfig.InvalidConfig> =>
  Effect.gen(function*() {
    const asked = wanted.flatMap((listen) => Option.isSome(listen.port) ? [{ ...listen, port: listen.port.value }] : [])
    if (asked.length === 0) return server
    const listeners = []
    for (const { announce, option, port, protocol } of asked) {
      yield* portRange(option, port)
      const address = ChatServer.formatAddress({ _tag: "TcpAddress", hostname: host, port })
      listeners.push(
        ChatTls.listener(protocol, { host, port }, { announce }).pipe(
          Layer.mapError((cause) => new ListenFailed({ address, cause }))
        )
      )
    }
    const files = yield* ServerConfig.tlsFiles(config, asked[0]!.option)
    return Layer.mergeAll(Layer.empty, ...listeners).pipe(
      Layer.provideMerge(server),
      Layer.provide(ChatTls.layerCertificates(files))
    )
  })

const serve = Command.make("serve", serveOptions, (options) =>
  Effect.gen(function*() {
    const config = yield* ServerConfig.make(options)
    const address = ChatServer.formatAddress({ _tag: "TcpAddress", hostname: options.host, port: options.port })
    const server = ChatTcp.layerWith({ host: options.host, port: options.port }, config).pipe(
      Layer.mapError((cause) => new ListenFailed({ address, cause })),
      Layer.provide(Backplane.layerMemory({ history: config.history }))
    )
    const withTls = yield* withTlsListeners(server, config, options.host, [
      { option: "tls-port", protocol: LineProtocol.protocol, port: options.tlsPort, announce: "tls listening on" }
    ])
    return yield* Layer.launch(withTls).pipe(
      options.verbose ? Logger.withMinimumLogLevel(LogLevel.Debug) : (self) => self
    )
  })).pipe(Command.withDescription("Run the chat server."))

// ---------------------------------------------------------------------------
// chat connect

const connect = Command.make("connect", {
  host,
  port,
  nick: Options.text("nick").pipe(
    Options.optional,
    Options.withDescription("The nick to take once connected.")
  ),
  reconnect: Options.boolean("reconnect").pipe(
    Options.withDescription("At a terminal: when the connection is lost, connect again and take back nick and room.")
  ),
  tls: Options.boolean("tls").pipe(
    Options.withDescription("Connect over TLS, verifying the server's certificate.")
  ),
  ca: Options.file("ca").pipe(
    Options.optional,
    Options.withDescription("With --tls: trust the certificate authority in this PEM file (a private CA).")
  ),
  insecure: Options.boolean("insecure").pipe(
    Options.withDescription("With --tls: do NOT verify the server's certificate (anyone on the path can listen in).")
  )
}, Client.run).pipe(Command.withDescription("Connect to a chat server; type lines, or pipe them in."))

// ---------------------------------------------------------------------------

const chat = Command.make("chat").pipe(
  Command.withDescription("A multi-user chat server over TCP. Talk to it with `chat connect` or `nc`."),
  Command.withSubcommands([serve, connect])
)

export const run = Command.run(chat, { name: "chat", version: "0.1.0" })
