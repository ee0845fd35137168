/**
 * The command line: `chat serve` and `chat connect`, their options, and how
 * each failure reads. Options are validated by `ServerConfig.make`, so the
 * CLI, embedding apps and tests accept exactly the same values.
 */
import { Command, Options } from "@effect/cli"
import type * as SocketServer from "@effect/platform/SocketServer"
import { Config, Data, Effect, Layer, Logger, LogLevel, Option } from "effect"
import * as Client from "./client/Client.js"
import * as Backplane from "./hub/Backplane.js"
import { Hub } from "./hub/Hub.js"
import * as RedisBackplane from "./hub/RedisBackplane.js"
import * as IrcProtocol from "./protocol/irc/IrcProtocol.js"
import * as LineProtocol from "./protocol/line/LineProtocol.js"
import type { WireProtocol } from "./protocol/WireProtocol.js"
import type { Capacity } from "./server/Capacity.js"
import * as ChatServer from "./server/ChatServer.js"
import * as ChatTcp from "./server/ChatTcp.js"
import * as ChatTls from "./server/ChatTls.js"
import * as Health from "./server/Health.js"
import * as ServerConfig from "./ServerConfig.js"
import * as SocketTls from "./socket/SocketTls.js"

/** The server could not listen; the reason in words (`address in use`). */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly address: string
  readonly cause: SocketServer.SocketServerError
}> {
  override get message(): string {
    return `cannot listen on ${this.address}: ${describeListenError(this.cause.cause)}`
  }
}

/** `--redis` could not be reached when the node started. */
export class ClusterFailed extends Data.TaggedError("ClusterFailed")<{
  readonly url: string
  readonly cause: Backplane.BackplaneError
}> {
  override get message(): string {
    const why = this.cause.cause instanceof Error ? this.cause.cause.message : this.cause.reason.toLowerCase()
    return `cannot reach Redis at ${this.url}: ${why}`
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
  redis: Options.text("redis").pipe(
    Options.optional,
    Options.withDescription("Join the cluster of every node on this Redis: redis://HOST:PORT[/DB] (or CHAT_REDIS).")
  ),
  cluster: Options.text("cluster").pipe(
    Options.withDefault("chat"),
    Options.withDescription("The cluster's name on that Redis (a key prefix): several chats can share one Redis.")
  ),
  clusterTimeout: Options.text("cluster-timeout").pipe(
    Options.withDefault("12s"),
    Options.withDescription("Advanced: a node silent this long is presumed dead and its clients released.")
  ),
  ircPort: Options.integer("irc-port").pipe(
    Options.optional,
    Options.filterMap(
      (n) => Option.isNone(n) || (n.value >= 0 && n.value <= 65535) ? Option.some(n) : Option.none(),
      "--irc-port must be from 0 to 65535"
    ),
    Options.withDescription("Also serve IRC clients (irssi, WeeChat) on this TCP port (0: a free port).")
  ),
  ircName: Options.text("irc-name").pipe(
    Options.withDefault("chat.irc"),
    Options.withDescription("The server's name that IRC clients see in its replies.")
  ),
  ircPassword: Options.text("irc-password").pipe(
    Options.optional,
    Options.withDescription(
      "IRC clients must give this server password (PASS) to register (or set CHAT_IRC_PASSWORD, kept out of ps)."
    )
  ),
  ircOper: Options.text("irc-oper").pipe(
    Options.optional,
    Options.filterMap(
      (o) => Option.isNone(o) || /^[^:\s]+:\S+$/.test(o.value) ? Option.some(o) : Option.none(),
      "--irc-oper must be NAME:PASSWORD"
    ),
    Options.withDescription(
      "IRC's OPER NAME PASSWORD makes a client an IRC operator (* in WHO, 313 in WHOIS); or set CHAT_IRC_OPER."
    )
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
  ircTlsPort: Options.integer("irc-tls-port").pipe(
    Options.optional,
    Options.withDescription(
      "Also serve IRC over TLS on this port, 6697 by convention (needs --tls-cert and --tls-key)."
    )
  ),
  httpsPort: Options.integer("https-port").pipe(
    Options.optional,
    Options.withDescription(
      "Also serve the web chat over HTTPS and WSS on this port (needs --tls-cert and --tls-key; 0: a free port)."
    )
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
  ),
  httpPort: Options.integer("http-port").pipe(
    Options.filterMap(
      (n) => n >= 0 && n <= 65535 ? Option.some(n) : Option.none(),
      "--http-port must be from 0 to 65535"
    ),
    Options.optional,
    Options.withDescription(
      "Serve the web chat, /healthz and /metrics on this port (0: a free port; off unless given)."
    )
  ),
  httpHost: Options.text("http-host").pipe(
    Options.optional,
    Options.withDescription("The address the web chat listens on (default: --host).")
  ),
  allowedOrigins: Options.text("allowed-origins").pipe(
    Options.optional,
    Options.withDescription(
      "Comma-separated origins whose pages may open the WebSocket, or * (default: the page's own)."
    )
  )
}

/** `--allowed-origins`: a comma-separated list, blanks ignored. */
const originList = (list: string): ReadonlyArray<string> =>
  list.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "")

const portRange = (option: string, port: number): Effect.Effect<number, ServerConfig.InvalidConfig> =>
  port >= 0 && port <= 65535
    ? Effect.succeed(port)
    : Effect.fail(new ServerConfig.InvalidConfig({ option, message: `must be from 0 to 65535, got ${port}` }))

/** `NAME:PASSWORD` (the password may hold `:`), as `--irc-oper` and `CHAT_IRC_OPER` give it. */
const operCredentials = (text: string): Option.Option<{ readonly name: string; readonly password: string }> => {
  const colon = text.indexOf(":")
  return colon <= 0 || colon === text.length - 1
    ? Option.none()
    : Option.some({ name: text.slice(0, colon), password: text.slice(colon + 1) })
}

const serve = Command.make("serve", serveOptions, (options) =>
  Effect.gen(function*() {
    const config = yield* ServerConfig.make(options)
    const addressOf = (port: number) => ChatServer.formatAddress({ _tag: "TcpAddress", hostname: options.host, port })
    const listenFailed = (port: number) => (cause: SocketServer.SocketServerError) =>
      new ListenFailed({ address: addressOf(port), cause })
    const url = Option.isSome(options.redis) ? options.redis : yield* Config.option(Config.string("CHAT_REDIS"))
    const ircPassword = Option.isSome(options.ircPassword)
      ? options.ircPassword
      : yield* Config.option(Config.string("CHAT_IRC_PASSWORD"))
    const ircOper = Option.isSome(options.ircOper)
      ? options.ircOper
      : yield* Config.option(Config.string("CHAT_IRC_OPER"))
    const irc = IrcProtocol.make({
      serverName: options.ircName,
      // An empty password (`CHAT_IRC_PASSWORD=`) is none: no client could give it.
      password: Option.getOrUndefined(Option.filter(ircPassword, (p) => p !== "")),
      oper: Option.getOrUndefined(Option.flatMap(ircOper, operCredentials))
    })

    // The line protocol first (`listening on`), then every other listener asked for, on the same node.
    const line = ChatTcp.layerWith({ host: options.host, port: options.port }, config).pipe(
      Layer.mapError(listenFailed(options.port))
    )
    const plain: Array<Layer.Layer<never, ListenFailed, Hub | Capacity | ServerConfig.ServerConfig>> = []
    // The web listener, loaded only when asked for: it brings HTTP, WebSocket and OpenTelemetry
    // modules that a plain TCP server need not load at start. Over TLS it serves HTTPS and WSS.
    const httpHost = Option.getOrElse(options.httpHost, () => options.host)
    const allowedOrigins = Option.getOrUndefined(Option.map(options.allowedOrigins, originList))
    const webListener = <R>(port: number, tls: Effect.Effect<SocketTls.CertificatesShape | undefined, never, R>) =>
      Layer.unwrapEffect(
        Effect.zipWith(
          Effect.promise(() => import("./server/WebListener.js")),
          tls,
          (WebListener, certificates) => WebListener.layer({ host: httpHost, port, allowedOrigins, tls: certificates })
        )
      ).pipe(
        Layer.mapError((cause) =>
          new ListenFailed({
            address: ChatServer.formatAddress({ _tag: "TcpAddress", hostname: httpHost, port }),
            cause
          })
        )
      )
    if (Option.isSome(options.httpPort)) plain.push(webListener(options.httpPort.value, Effect.succeed(undefined)))
    if (Option.isSome(options.ircPort)) {
      plain.push(
        ChatTcp.listenerWith(irc, { host: options.host, port: options.ircPort.value }, "irc listening on").pipe(
          Layer.mapError(listenFailed(options.ircPort.value))
        )
      )
    }
    // Listeners over TLS, each a protocol on a port, sharing the certificates.
    const tls: Array<Layer.Layer<never, ListenFailed, ChatTls.Requires>> = []
    const tlsOptions: Array<string> = []
    const tlsListener = (option: string, protocol: WireProtocol, port: number, announce: string) =>
      portRange(option, port).pipe(Effect.map((port) => {
        tlsOptions.push(option)
        tls.push(
          ChatTls.listener(protocol, { host: options.host, port }, { announce }).pipe(
            Layer.mapError(listenFailed(port))
          )
        )
      }))
    if (Option.isSome(options.tlsPort)) {
      yield* tlsListener("tls-port", LineProtocol.protocol, options.tlsPort.value, "tls listening on")
    }
    if (Option.isSome(options.ircTlsPort)) {
      yield* tlsListener("irc-tls-port", irc, options.ircTlsPort.value, "ircs listening on")
    }
    if (Option.isSome(options.httpsPort)) {
      tlsOptions.push("https-port")
      tls.push(webListener(yield* portRange("https-port", options.httpsPort.value), SocketTls.Certificates))
    }
    const plainNode = Layer.mergeAll(Layer.empty, ...plain).pipe(Layer.provideMerge(line))
    const node = tls.length === 0 ? plainNode : Layer.mergeAll(Layer.empty, ...tls).pipe(
      Layer.provideMerge(plainNode),
      // Loaded before anything listens: unusable certificates stop the start.
      Layer.provide(ChatTls.layerCertificates(yield* ServerConfig.tlsFiles(config, tlsOptions[0]!)))
    )

    const launched = Option.isNone(url)
      ? Layer.launch(node.pipe(Layer.provide(Backplane.layerMemory({ history: config.history }))))
      : Layer.launch(clusterNode(node, {
        url: url.value,
        cluster: options.cluster,
        history: config.history,
        nodeTimeout: (yield* ServerConfig.parseIdleTimeout(options.clusterTimeout).pipe(
          Effect.mapError((error) => new ServerConfig.InvalidConfig({ ...error, option: "cluster-timeout" }))
        ))?.duration
      }))
    return yield* launched.pipe(
      options.verbose ? Logger.withMinimumLogLevel(LogLevel.Debug) : (self) => self
    )
  })).pipe(Command.withDescription("Run the chat server."))

/** The node on Redis: `listening on`, then `joined cluster NAME as node ID (K nodes)`. */
const clusterNode = <E, R>(
  tcp: Layer.Layer<Hub, E, R | Backplane.Backplane>,
  options: RedisBackplane.RedisBackplaneOptions
) => {
  const joined = Layer.effectDiscard(Effect.gen(function*() {
    yield* Hub
    const status = yield* (yield* RedisBackplane.Cluster).status
    yield* Effect.logInfo(`joined cluster ${status.name} as node ${status.node} (${status.nodes} nodes)`)
  }))
  // `/healthz` reads 503 while this node cannot reach Redis.
  const health = Layer.effect(
    Health.Health,
    Effect.map(RedisBackplane.Cluster, (cluster) => ({
      check: Effect.map(
        cluster.status,
        (status) => status.reachable ? Health.healthy : Health.unhealthy("redis unreachable")
      )
    }))
  )
  return joined.pipe(
    Layer.provideMerge(tcp.pipe(Layer.provide(health))),
    Layer.provideMerge(
      RedisBackplane.layer(options).pipe(Layer.mapError((cause) => new ClusterFailed({ url: options.url, cause })))
    )
  )
}

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
