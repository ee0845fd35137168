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
import type { Capacity } from "./server/Capacity.js"
import * as ChatServer from "./server/ChatServer.js"
import * as ChatTcp from "./server/ChatTcp.js"
import * as ServerConfig from "./ServerConfig.js"

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
  verbose: Options.boolean("verbose").pipe(
    Options.withAlias("v"),
    Options.withDescription("Log every connection (debug level).")
  )
}

const serve = Command.make("serve", serveOptions, (options) =>
  Effect.gen(function*() {
    const config = yield* ServerConfig.make(options)
    const url = Option.isSome(options.redis) ? options.redis : yield* Config.option(Config.string("CHAT_REDIS"))
    const listenFailed = (port: number) => (cause: SocketServer.SocketServerError) =>
      new ListenFailed({
        address: ChatServer.formatAddress({ _tag: "TcpAddress", hostname: options.host, port }),
        cause
      })
    // The line protocol first (`listening on`), then every other listener asked for, on the same node.
    const tcp = ChatTcp.layerWith({ host: options.host, port: options.port }, config).pipe(
      Layer.mapError(listenFailed(options.port))
    )
    const others: Array<Layer.Layer<never, ListenFailed, Hub | Capacity | ServerConfig.ServerConfig>> = []
    if (Option.isSome(options.ircPort)) {
      const ircPort = options.ircPort.value
      others.push(
        ChatTcp.listenerWith(
          IrcProtocol.make({ serverName: options.ircName }),
          { host: options.host, port: ircPort },
          "irc listening on"
        )
          .pipe(Layer.mapError(listenFailed(ircPort)))
      )
    }
    const node = others.length === 0 ? tcp : Layer.mergeAll(tcp, ...others).pipe(Layer.provideMerge(tcp))
    const launched: Effect.Effect<never, ListenFailed | ClusterFailed> = Option.isNone(url)
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
  return joined.pipe(
    Layer.provideMerge(tcp),
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
  )
}, Client.run).pipe(Command.withDescription("Connect to a chat server; type lines, or pipe them in."))

// ---------------------------------------------------------------------------

const chat = Command.make("chat").pipe(
  Command.withDescription("A multi-user chat server over TCP. Talk to it with `chat connect` or `nc`."),
  Command.withSubcommands([serve, connect])
)

export const run = Command.run(chat, { name: "chat", version: "0.1.0" })
