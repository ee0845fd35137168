/**
 * The HTTP socket layer: one `node:http` server whose WebSocket upgrades (on
 * one path, through the `ws` package) are a `SocketServer` of `Socket`s, and
 * whose plain requests are answered by a handler the caller gives. The only
 * module that touches `node:http` and `ws`.
 *
 * Written here instead of using `@effect/platform`'s WebSocket sockets for
 * what a chat server needs and they lack:
 * - Reads are pulled. The `ws` socket is paused while a frame waits for the
 *   handler, so a client that floods is slowed by TCP, as over `SocketTcp`.
 * - Writes have backpressure. A WebSocket's `send` never waits; this layer
 *   reports the socket full once its TCP buffer passes the high-water mark
 *   (what `bufferedAmount` counts), and waits for it to drain, so what waits
 *   for a slow reader is bounded by the connection's outbox, not by memory.
 * - A direct write (`DirectWrite`), as over TCP.
 * - Closing never hangs: a close handshake that the peer does not finish
 *   within `linger` ends with the socket destroyed.
 *
 * Frames: a text frame reaches `runRaw` as a string, a binary frame as
 * bytes (the platform's convention); `run` gets bytes for both. Text written
 * is split at `\n`, each line its own text frame, so a batch of messages
 * rendered one per line goes out as one frame per message. A frame larger
 * than `maxFrameBytes` closes the connection (1009) before it is buffered
 * whole; below that, what is too long is for the reader to say.
 */
import * as Socket from "@effect/platform/Socket"
import * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Duration, Effect, FiberSet, Layer, Queue } from "effect"
import * as Http from "node:http"
import * as Https from "node:https"
import type { Duplex } from "node:stream"
import * as WS from "ws"
import * as DirectRead from "./DirectRead.js"
import * as DirectWrite from "./DirectWrite.js"
import * as AcceptLoop from "./internal/acceptLoop.js"
import * as Listen from "./internal/listen.js"
import * as RemoteAddress from "./RemoteAddress.js"
import type * as SocketTls from "./SocketTls.js"

/** A plain HTTP request, as the handler sees it. */
export interface HttpRequest {
  readonly method: string
  /** Without the query string. */
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
}

export interface HttpResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array
}

export interface ServerOptions {
  readonly host: string
  /** 0 takes a free port; `SocketServer.address` tells which. */
  readonly port: number
  /** The path that upgrades to a WebSocket (`/ws`). */
  readonly path: string
  /** The largest frame read at all; a larger one closes the connection (1009). */
  readonly maxFrameBytes: number
  /** Whether a WebSocket may open for this request (its `Origin`); refused with 403 otherwise. */
  readonly allowUpgrade: (request: HttpRequest) => boolean
  /** How long a closing connection waits for the peer's close frame before it is destroyed. */
  readonly linger?: Duration.DurationInput | undefined
  /** Serve HTTPS and WSS with these certificates (reloaded with them) instead of plain HTTP. */
  readonly tls?: SocketTls.CertificatesShape | undefined
}

/** How long an HTTPS client may take over its TLS handshake before it is cut off. */
const handshakeTimeoutMs = 5_000

/** Upgraded connections waiting for `run`; past this they are closed at once. */
const acceptBacklog = 1024
const defaultLinger = Duration.seconds(1)

const requestOf = (request: Http.IncomingMessage): HttpRequest => {
  const url = request.url ?? "/"
  const query = url.indexOf("?")
  return {
    method: request.method ?? "GET",
    path: query === -1 ? url : url.slice(0, query),
    headers: request.headers
  }
}

// ---------------------------------------------------------------------------
// One connection

interface Upgraded {
  readonly ws: WS.WebSocket
  /** The client's address, for the limits per address. */
  readonly address: string | undefined
  /** The TCP connection under it: its buffer is what `bufferedAmount` counts, and it says when it drained. */
  readonly raw: Duplex
}

const writeFailed = (cause: unknown) => new Socket.SocketGenericError({ reason: "Write", cause })
const closedError = () => writeFailed(new Error("socket closed"))

/** Adapts an open WebSocket; listeners are attached at once, so no error goes unhandled. */
export const fromWebSocket = ({ address, raw, ws }: Upgraded): Socket.Socket => {
  const frames: Array<string | Uint8Array> = []
  let failure: Error | undefined
  let ended = false
  /** The next frame received, taken now: text for a text frame, bytes for a binary one. */
  const read = (): string | Uint8Array | typeof DirectRead.wait | typeof DirectRead.end | Socket.SocketError => {
    const frame = frames.shift()
    if (frame !== undefined) {
      if (frames.length === 0 && ws.readyState === WS.WebSocket.OPEN) ws.resume()
      return frame
    }
    if (failure !== undefined) return DirectRead.failure(failure)
    return ended || ws.readyState !== WS.WebSocket.OPEN ? DirectRead.end : DirectRead.wait
  }
  const reads = DirectRead.make(read, {
    failure: () => failure,
    once: (listener) => ws.once("error", listener),
    off: (listener) => ws.off("error", listener)
  })
  const notify = reads.notify
  const nextFrame = reads.next
  ws.on("message", (data: WS.RawData, isBinary: boolean) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
    frames.push(isBinary ? new Uint8Array(bytes) : bytes.toString("utf8"))
    // One frame waits at most; while it does, the socket is not read.
    ws.pause()
    notify()
  })
  ws.on("close", () => {
    ended = true
    notify()
  })
  ws.on("error", (error) => {
    failure = error
    notify()
  })

  const encoder = new TextEncoder()
  const runRaw = <_, E = never, R = never>(
    handler: (_: string | Uint8Array) => Effect.Effect<_, E, R> | void,
    options?: { readonly onOpen?: Effect.Effect<void> | undefined }
  ): Effect.Effect<void, Socket.SocketError | E, R> =>
    Effect.gen(function*() {
      if (options?.onOpen !== undefined) yield* options.onOpen
      while (true) {
        const frame = yield* nextFrame
        if (frame === undefined) return
        const handled = handler(frame)
        if (Effect.isEffect(handled)) yield* handled
      }
    })
  const run = <_, E = never, R = never>(
    handler: (_: Uint8Array) => Effect.Effect<_, E, R> | void,
    options?: { readonly onOpen?: Effect.Effect<void> | undefined }
  ): Effect.Effect<void, Socket.SocketError | E, R> =>
    runRaw((frame) => handler(typeof frame === "string" ? encoder.encode(frame) : frame), options)

  /** Waits until the TCP buffer has drained below its high-water mark; fails if the socket closes first. */
  const drained = Effect.async<void, Socket.SocketError>((resume) => {
    if (raw.destroyed || ws.readyState !== WS.WebSocket.OPEN) return resume(Effect.fail(closedError()))
    if (!raw.writableNeedDrain) return resume(Effect.void)
    const onDrain = () => {
      raw.off("close", onClose)
      resume(Effect.void)
    }
    const onClose = () => {
      raw.off("drain", onDrain)
      resume(Effect.fail(closedError()))
    }
    raw.once("drain", onDrain)
    raw.once("close", onClose)
    return Effect.sync(() => {
      raw.off("drain", onDrain)
      raw.off("close", onClose)
    })
  })

  /** Sends each line of `text` as a text frame, together in one TCP write. */
  const writeNow = (chunk: string | Uint8Array): "ok" | "full" | "closed" => {
    if (ws.readyState !== WS.WebSocket.OPEN || raw.destroyed) return "closed"
    if (typeof chunk !== "string") {
      ws.send(chunk, { binary: true })
    } else {
      raw.cork()
      let start = 0
      while (start < chunk.length) {
        const newline = chunk.indexOf("\n", start)
        const end = newline === -1 ? chunk.length : newline
        if (end > start) ws.send(chunk.slice(start, end), { binary: false })
        start = end + 1
      }
      raw.uncork()
    }
    return raw.writableNeedDrain ? "full" : "ok"
  }

  const write = (chunk: Uint8Array | string | Socket.CloseEvent): Effect.Effect<void, Socket.SocketError> =>
    Effect.suspend(() => {
      if (Socket.isCloseEvent(chunk)) {
        if (ws.readyState === WS.WebSocket.OPEN) ws.close(chunk.code, chunk.reason)
        return Effect.void
      }
      switch (writeNow(chunk)) {
        case "ok":
          return Effect.void
        case "full":
          return drained
        case "closed":
          return Effect.fail(closedError())
      }
    })

  const socket: Socket.Socket = {
    [Socket.TypeId]: Socket.TypeId,
    run,
    runRaw,
    writer: Effect.acquireRelease(Effect.succeed(write), () => Effect.void)
  }
  const direct = DirectRead.offer(
    DirectWrite.offer(socket, { write: (text) => writeNow(text), drained }),
    reads.direct
  )
  return RemoteAddress.offer(direct, address)
}

/**
 * Ends the connection with a close frame and destroys it after `linger` at
 * the latest: a peer that never answers the close handshake cannot hold up
 * shutdown.
 */
const close = ({ raw, ws }: Upgraded, linger: Duration.DurationInput): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (ws.readyState === WS.WebSocket.CLOSED || raw.destroyed) return resume(Effect.void)
    ws.once("close", () => resume(Effect.void))
    if (ws.readyState === WS.WebSocket.OPEN) ws.close(1000)
    // Frames that still arrive are read and dropped, so the close frame is seen.
    ws.resume()
  }).pipe(
    // A finalizer is uninterruptible: without this the timeout could not cut the wait short.
    Effect.interruptible,
    Effect.timeoutOption(linger),
    Effect.ensuring(Effect.sync(() => ws.terminate()))
  )

// ---------------------------------------------------------------------------
// The server

const refuseUpgrade = (raw: Duplex, status: number, reason: string): void => {
  raw.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => raw.destroy())
}

/**
 * An HTTP server listening for the life of the scope: WebSockets on
 * `options.path` are the returned `SocketServer`'s connections; every other
 * request is answered by `respond`, in a fiber of the scope.
 */
export const make = <R>(
  options: ServerOptions,
  respond: (request: HttpRequest) => Effect.Effect<HttpResponse, never, R>
): Effect.Effect<SocketServer.SocketServer["Type"], SocketServer.SocketServerError, Scope.Scope | R> =>
  Effect.gen(function*() {
    const linger = options.linger ?? defaultLinger
    const accepted = yield* Queue.dropping<Upgraded>(acceptBacklog)
    const runRequest = yield* FiberSet.makeRuntime<R, void, never>()
    const open = new Set<Duplex>()
    const wss = new WS.WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false
    })
    const handler = (request: Http.IncomingMessage, response: Http.ServerResponse): void => {
      // A request whose client went away must not crash the process.
      response.on("error", () => response.destroy())
      runRequest(
        respond(requestOf(request)).pipe(
          Effect.flatMap((answer) =>
            Effect.sync(() => {
              response.writeHead(answer.status, answer.headers)
              response.end(answer.body)
            })
          )
        )
      )
    }
    const server: Http.Server = options.tls === undefined
      ? Http.createServer(handler)
      : yield* Effect.map(
        options.tls.current,
        (credentials) => Https.createServer({ ...credentials, handshakeTimeout: handshakeTimeoutMs }, handler)
      )
    // A certificate reloaded on SIGHUP reaches this server's new connections too.
    if (options.tls !== undefined && server instanceof Https.Server) yield* options.tls.attach(server)
    server.on("upgrade", (request: Http.IncomingMessage, raw: Duplex, head: Buffer) => {
      raw.on("error", () => raw.destroy())
      const asked = requestOf(request)
      if (asked.path !== options.path) return refuseUpgrade(raw, 404, "Not Found")
      if (!options.allowUpgrade(asked)) return refuseUpgrade(raw, 403, "Forbidden")
      wss.handleUpgrade(request, raw, head, (ws) => {
        open.add(raw)
        raw.once("close", () => open.delete(raw))
        ws.on("error", () => ws.terminate())
        if (!accepted.unsafeOffer({ ws, raw, address: request.socket.remoteAddress })) ws.terminate()
      })
    })
    server.on("clientError", (_error, raw: Duplex) => raw.destroy())

    const address = yield* Listen.listen(server, options, () => {
      server.closeAllConnections()
      for (const raw of open) raw.destroy()
      wss.close()
    })

    const run = AcceptLoop.run({
      accepted,
      socketOf: fromWebSocket,
      close: (upgraded) => close(upgraded, linger)
    })
    return SocketServer.SocketServer.of({ address, run })
  })

/** The HTTP server as a layer: listening once built, closed with its scope. */
export const layer = <R>(
  options: ServerOptions,
  respond: (request: HttpRequest) => Effect.Effect<HttpResponse, never, R>
): Layer.Layer<SocketServer.SocketServer, SocketServer.SocketServerError, R> =>
  Layer.scoped(SocketServer.SocketServer, make(options, respond))
