/**
 * The web listener: one HTTP port that serves the chat page (`GET /`), the
 * WebSocket protocol on the node's rooms (`GET /ws`), a health check
 * (`GET /healthz`) and Prometheus metrics (`GET /metrics`).
 *
 * The WebSocket clients are a listener like any other (`ChatServer.listen`
 * with `WsProtocol`): the same hub, connection limit, flood control, line
 * limit, slow-reader cut-off, idle timeout and shutdown as TCP clients.
 *
 * The page is the bundle `npm run build` writes to `dist/web/` (esbuild, see
 * `scripts/build-page.mjs`), read once at start: nothing is fetched from
 * elsewhere, so the page works offline.
 */
import type * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Effect, Layer, Metric, Option, Ref } from "effect"
import * as Fs from "node:fs/promises"
import { Hub } from "../hub/Hub.js"
import * as WsProtocol from "../protocol/ws/WsProtocol.js"
import type * as ServerConfig from "../ServerConfig.js"
import type * as SocketTls from "../socket/SocketTls.js"
import * as SocketWeb from "../socket/SocketWeb.js"
import type { Capacity } from "./Capacity.js"
import * as ChatMetrics from "./ChatMetrics.js"
import * as ChatServer from "./ChatServer.js"
import { Health } from "./Health.js"
import * as Prometheus from "./Prometheus.js"

export interface WebOptions {
  readonly host: string
  /** 0 takes a free port. */
  readonly port: number
  /**
   * Origins whose pages may open a WebSocket (`https://chat.example.org`),
   * or `*` for any. Absent: only the page's own origin (the `Host` the
   * browser asked for), so another site cannot use a visitor's browser to
   * chat in their name.
   */
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  /** Serve HTTPS and WSS with these certificates (`--https-port`). */
  readonly tls?: SocketTls.CertificatesShape | undefined
}

/** Where the WebSocket is. */
export const wsPath = "/ws"

/**
 * The largest frame read at all: a bigger one closes the connection (1009)
 * before it is held in memory. Frames up to it but over `--max-line-bytes`
 * get an error and the client stays, as a long line does over TCP.
 */
export const maxFrameBytes = 1024 * 1024 + 1024

/** Where `npm run build` puts the page, from `src/server/` and `dist/server/` alike. */
const pageDir = new URL("../../dist/web/", import.meta.url)

const assetTypes: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8"
}

/** The page may load only its own scripts and styles, and connect only to its own server. */
const pageHeaders = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache"
}

type Assets = ReadonlyMap<string, SocketWeb.HttpResponse>

const loadAssets: Effect.Effect<Assets> = Effect.forEach(
  Object.entries(assetTypes),
  ([name, type]) =>
    Effect.tryPromise(() => Fs.readFile(new URL(name, pageDir))).pipe(
      Effect.map((body): readonly [string, SocketWeb.HttpResponse] => [
        name === "index.html" ? "/" : `/${name}`,
        { status: 200, headers: { ...pageHeaders, "Content-Type": type }, body }
      ]),
      Effect.option
    )
).pipe(
  Effect.map((found) => new Map(found.flatMap(Option.toArray))),
  Effect.tap((assets) =>
    assets.size === Object.keys(assetTypes).length
      ? Effect.void
      : Effect.logWarning(`the chat page is not built (run npm run build): ${pageDir.pathname} is incomplete`)
  )
)

const text = (status: number, body: string, type = "text/plain; charset=utf-8"): SocketWeb.HttpResponse => ({
  status,
  headers: { "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
  body
})

/** Whether a page from `origin` may open a WebSocket here. */
export const originAllowed = (
  allowed: ReadonlyArray<string> | undefined,
  request: SocketWeb.HttpRequest
): boolean => {
  const origin = request.headers.origin
  // Only browsers send an Origin, and only browsers can be made to act for someone else.
  if (origin === undefined) return true
  if (allowed !== undefined) return allowed.includes("*") || allowed.includes(origin)
  const host = request.headers.host
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)
}

/** `http://host:port/` (or `https://`), with brackets around an IPv6 host. */
export const pageUrl = (address: SocketServer.Address, secure = false): string =>
  `${secure ? "https" : "http"}://${ChatServer.formatAddress(address)}/`

const respond = (assets: Assets, accepting: Ref.Ref<boolean>) =>
(
  request: SocketWeb.HttpRequest
): Effect.Effect<SocketWeb.HttpResponse, never, Hub | Prometheus.Prometheus> =>
  Effect.gen(function*() {
    if (request.method !== "GET" && request.method !== "HEAD") return text(405, "method not allowed\n")
    switch (request.path) {
      case "/healthz": {
        const status = (yield* Ref.get(accepting))
          ? yield* (yield* Health).check
          : { healthy: false, detail: "shutting down" }
        return text(status.healthy ? 200 : 503, `${status.detail}\n`)
      }
      case "/metrics": {
        const snapshot = yield* (yield* Hub).snapshot.pipe(Effect.option)
        if (Option.isSome(snapshot)) yield* Metric.set(ChatMetrics.rooms, snapshot.value.rooms.length)
        return yield* (yield* Prometheus.Prometheus).scrape.pipe(
          Effect.map((body) => text(200, body, Prometheus.contentType)),
          Effect.catchAll((error) =>
            Effect.logWarning("metrics scrape failed", error).pipe(Effect.as(text(500, "scrape failed\n")))
          )
        )
      }
      default:
        return assets.get(request.path) ?? text(request.path === "/" ? 503 : 404, "not found\n")
    }
  })

/**
 * Serves the page, the WebSocket protocol, `/healthz` and `/metrics` on
 * `options.host:port` for as long as the scope lasts; logs
 * `web chat on http://HOST:PORT/` once it accepts connections.
 */
export const listen = (
  options: WebOptions
): Effect.Effect<
  SocketServer.Address,
  SocketServer.SocketServerError,
  Hub | Capacity | ServerConfig.ServerConfig | Prometheus.Prometheus | Scope.Scope
> =>
  Effect.gen(function*() {
    const assets = yield* loadAssets
    const accepting = yield* Ref.make(true)
    const server = yield* SocketWeb.make({
      host: options.host,
      port: options.port,
      path: wsPath,
      maxFrameBytes,
      allowUpgrade: (request) => originAllowed(options.allowedOrigins, request),
      tls: options.tls
    }, respond(assets, accepting))
    yield* ChatServer.listen(WsProtocol.protocol, server, {
      announce: "web chat on",
      show: (address) => pageUrl(address, options.tls !== undefined)
    })
    // Runs first at shutdown (finalizers run in reverse): health checks fail while clients are told.
    yield* Effect.addFinalizer(() => Ref.set(accepting, false))
    return server.address
  })

/** The web listener as a layer, with its Prometheus exporter; add it beside the TCP listener. */
export const layer = (
  options: WebOptions
): Layer.Layer<never, SocketServer.SocketServerError, Hub | Capacity | ServerConfig.ServerConfig> =>
  Layer.scopedDiscard(listen(options)).pipe(Layer.provide(Prometheus.layer))
