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

const serve = Command.make("serve", serveOptions, (options) =>
  Effect.gen(function*() {
    const config = yield* ServerConfig.make(options)
    const address = ChatServer.formatAddress({ _tag: "TcpAddress", hostname: options.host, port: options.port })
    const tcp = ChatTcp.layerWith({ host: options.host, port: options.port }, config).pipe(
      Layer.mapError((cause) => new ListenFailed({ address, cause })),
      Layer.provide(Backplane.layerMemory({ history: config.history }))
    )
    const server = Option.match(options.httpPort, {
      onNone: () => tcp,
      onSome: (httpPort) => {
        const httpHost = Option.getOrElse(options.httpHost, () => options.host)
        const allowedOrigins = Option.map(options.allowedOrigins, (list) =>
          list.split(",").map((origin) => origin.trim()).filter((origin) => origin !== ""))
        const webAddress = ChatServer.formatAddress({ _tag: "TcpAddress", hostname: httpHost, port: httpPort })
        // Loaded only when asked for: the web listener brings HTTP, WebSocket and
        // OpenTelemetry modules that a plain TCP server need not load at start.
        const web = Layer.unwrapEffect(
          Effect.map(
            Effect.promise(() =>
              import("./server/WebListener.js")
            ),
            (WebListener) =>
              WebListener.layer({
                host: httpHost,
                port: httpPort,
                allowedOrigins: Option.getOrUndefined(allowedOrigins)
              })
          )
        )
        return web.pipe(
          Layer.mapError((cause) => new ListenFailed({ address: webAddress, cause })),
          Layer.provideMerge(tcp)
        )
      }
    })
    return yield* Layer.launch(server).pipe(
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
  )
}, Client.run).pipe(Command.withDescription("Connect to a chat server; type lines, or pipe them in."))

// ---------------------------------------------------------------------------

const chat = Command.make("chat").pipe(
  Command.withDescription("A multi-user chat server over TCP. Talk to it with `chat connect` or `nc`."),
  Command.withSubcommands([serve, connect])
)

export const run = Command.run(chat, { name: "chat", version: "0.1.0" })
