/**
 * The TLS socket layer: a `SocketServer` over `node:tls` with everything the
 * TCP layer gives (pulled reads, `DirectWrite`, `RemoteAddress`, a close that
 * never hangs: it is `SocketTcp`'s own plumbing over a `tls.Server`), the
 * certificates it serves, and the client side for `chat connect --tls`.
 *
 * - A connection reaches the handler only once its handshake is done, so a
 *   peer that never finishes one holds no slot of `--max-clients` nor of its
 *   address; it is cut off after `handshakeTimeout` (Node's own timer).
 *   Handshakes in progress are bounded per peer address
 *   (`maxHandshakesPerAddress`): one more from that address is closed at
 *   once, so stalled handshakes cost the server bounded memory per address
 *   and cost nobody else anything.
 * - `Certificates` holds the certificate and key every TLS listener of the
 *   process serves. `reload` reads the files again and hands the new context
 *   to every listener (`tls.Server#setSecureContext`): new handshakes get
 *   it, connections already open keep theirs. A reload that fails (a file
 *   half written, a key that does not match) keeps the old certificate.
 *   Another kind of TLS server (an `https.Server` for WebSocket) serves the
 *   same certificates with `credentials.attach(server)`.
 */
import * as Socket from "@effect/platform/Socket"
import * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Context, Data, Duration, Effect, Layer, Ref } from "effect"
import * as Fs from "node:fs/promises"
import * as Tls from "node:tls"
import * as SocketTcp from "./SocketTcp.js"

// ---------------------------------------------------------------------------
// Certificates

/** Certificates could not be loaded: a file unreadable, or not a certificate and its key. */
export class TlsError extends Data.TaggedError("TlsError")<{
  readonly reason: "Read" | "Invalid"
  /** The file that could not be read, or for `Invalid` the certificate file. */
  readonly file: string
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return this.reason === "Read"
      ? `cannot read ${this.file}: ${detail}`
      : `${this.file} and its key are not a usable certificate: ${detail}`
  }
}

export interface CertificateFiles {
  /** PEM: the server's certificate, then any intermediates. */
  readonly certFile: string
  /** PEM: its private key. */
  readonly keyFile: string
}

/** What a TLS server is built with: the PEM text of both files. */
export interface Credentials {
  readonly cert: string
  readonly key: string
}

export interface CertificatesShape {
  readonly files: CertificateFiles
  /** The credentials loaded last. */
  readonly current: Effect.Effect<Credentials>
  /** Reads the files again; on success every attached server serves them to new connections. */
  readonly reload: Effect.Effect<void, TlsError>
  /** Keeps `server` serving the current credentials, reloads included, for the life of the scope. */
  readonly attach: (server: Tls.Server) => Effect.Effect<void, never, Scope.Scope>
}

export class Certificates extends Context.Tag("chat/TlsCertificates")<Certificates, CertificatesShape>() {}

const readPem = (file: string): Effect.Effect<string, TlsError> =>
  Effect.tryPromise({
    try: () => Fs.readFile(file, "utf8"),
    catch: (cause) => new TlsError({ reason: "Read", file, cause })
  })

/** Reads and checks both files: a key that does not match its certificate is refused here, not at a handshake. */
const load = (files: CertificateFiles): Effect.Effect<Credentials, TlsError> =>
  Effect.gen(function*() {
    const cert = yield* readPem(files.certFile)
    const key = yield* readPem(files.keyFile)
    yield* Effect.try({
      try: () => Tls.createSecureContext({ cert, key }),
      catch: (cause) => new TlsError({ reason: "Invalid", file: files.certFile, cause })
    })
    return { cert, key }
  })

/** Loads the certificates now; fails, so the server does not start, if they are unusable. */
export const makeCertificates = (files: CertificateFiles): Effect.Effect<CertificatesShape, TlsError> =>
  Effect.gen(function*() {
    const current = yield* Ref.make(yield* load(files))
    const servers = new Set<Tls.Server>()
    const reload = load(files).pipe(
      Effect.tap((credentials) => Ref.set(current, credentials)),
      Effect.tap((credentials) =>
        Effect.sync(() => {
          for (const server of servers) server.setSecureContext(credentials)
        })
      ),
      Effect.asVoid
    )
    const attach = (server: Tls.Server) =>
      Effect.acquireRelease(
        Ref.get(current).pipe(Effect.map((credentials) => {
          server.setSecureContext(credentials)
          servers.add(server)
        })),
        () => Effect.sync(() => servers.delete(server))
      )
    return { files, current: Ref.get(current), reload, attach }
  })

export const layerCertificates = (files: CertificateFiles): Layer.Layer<Certificates, TlsError> =>
  Layer.effect(Certificates, makeCertificates(files))

// ---------------------------------------------------------------------------
// The server

export interface ServerOptions extends SocketTcp.ServerOptions {
  /** How long a handshake may take before the connection is cut off. */
  readonly handshakeTimeout?: Duration.DurationInput | undefined
  /** Handshakes in progress at most from one address; past it a new connection from there is closed at once. */
  readonly maxHandshakesPerAddress?: number | undefined
}

const defaultHandshakeTimeout = Duration.seconds(5)
const defaultMaxHandshakesPerAddress = 32

/**
 * Counts handshakes in progress per address as the connections open from
 * it minus those whose handshake is done (Node does not link a TLS socket
 * back to its raw one), and closes a connection past `max` at once.
 */
/** What `boundHandshakes` needs of a connection, raw or TLS. */
type Peer = Pick<Tls.TLSSocket, "remoteAddress" | "destroy" | "once">

const boundHandshakes = (server: Tls.Server, max: number): void => {
  const raw = new Map<string, number>()
  const secure = new Map<string, number>()
  const add = (counts: Map<string, number>, address: string, delta: number): void => {
    const count = (counts.get(address) ?? 0) + delta
    if (count > 0) counts.set(address, count)
    else counts.delete(address)
  }
  server.on("connection", (conn: Peer) => {
    const address = conn.remoteAddress
    if (address === undefined) return
    if ((raw.get(address) ?? 0) - (secure.get(address) ?? 0) >= max) {
      conn.destroy()
      return
    }
    add(raw, address, 1)
    conn.once("close", () => add(raw, address, -1))
  })
  server.on("secureConnection", (conn: Peer) => {
    const address = conn.remoteAddress
    if (address === undefined) return
    add(secure, address, 1)
    conn.once("close", () => add(secure, address, -1))
  })
}

/** A TLS `SocketServer` serving the `Certificates`, listening for the life of the scope. */
export const make = (
  options: ServerOptions
): Effect.Effect<SocketServer.SocketServer["Type"], SocketServer.SocketServerError, Certificates | Scope.Scope> =>
  Effect.gen(function*() {
    const certificates = yield* Certificates
    const server = Tls.createServer({
      ...(yield* certificates.current),
      allowHalfOpen: true,
      noDelay: true,
      handshakeTimeout: Duration.toMillis(options.handshakeTimeout ?? defaultHandshakeTimeout)
    })
    // A failed handshake (a plain-text client, a timeout, a peer that does not
    // trust us) concerns that peer only.
    server.on("tlsClientError", (_error, conn) => conn.destroy())
    boundHandshakes(server, options.maxHandshakesPerAddress ?? defaultMaxHandshakesPerAddress)
    yield* certificates.attach(server)
    return yield* SocketTcp.serveOn(server, { ...options, acceptOn: "secureConnection" })
  })

/** The TLS server as a layer: listening once built, closed with its scope. */
export const layer = (
  options: ServerOptions
): Layer.Layer<SocketServer.SocketServer, SocketServer.SocketServerError, Certificates> =>
  Layer.scoped(SocketServer.SocketServer, make(options))

// ---------------------------------------------------------------------------
// The client side, for `chat connect --tls`

export interface ConnectOptions extends SocketTcp.ConnectOptions {
  /** PEM text of the certificate authorities to trust instead of the system's. */
  readonly ca?: string | undefined
  /** Accept any certificate: no protection against anyone on the path. */
  readonly insecure?: boolean | undefined
}

/**
 * Connects and completes the handshake now, for the life of the scope. The
 * server's certificate must be valid for `host` and signed by a trusted
 * authority unless `insecure`; otherwise this fails with Node's reason
 * (`code`: `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`...).
 */
export const connect = (options: ConnectOptions): Effect.Effect<Socket.Socket, Socket.SocketError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Tls.TLSSocket, Socket.SocketError>((resume) => {
      const conn = Tls.connect({
        host: options.host,
        port: options.port,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        rejectUnauthorized: options.insecure !== true
      })
      const onError = (cause: Error) => {
        conn.destroy()
        resume(Effect.fail(new Socket.SocketGenericError({ reason: "Open", cause })))
      }
      conn.once("error", onError)
      conn.once("secureConnect", () => {
        conn.off("error", onError)
        conn.setNoDelay(true)
        resume(Effect.succeed(conn))
      })
      return Effect.sync(() => conn.destroy())
    }),
    (conn) => Effect.sync(() => conn.destroy())
  ).pipe(Effect.map((conn) => SocketTcp.fromNetSocket(conn)))
