/**
 * Listeners over TLS: any protocol (the line protocol on `--tls-port`, IRC on
 * `--irc-tls-port`...) served over `SocketTls`, with the certificates of
 * `--tls-cert`/`--tls-key` loaded once for all of them and reloaded on
 * SIGHUP without dropping anyone.
 *
 * Kept apart from `ChatServer`, like `ChatTcp`, so that embedding the core
 * does not load `node:tls`.
 */
import type * as SocketServer from "@effect/platform/SocketServer"
import type { Scope } from "effect"
import { Effect, Layer, Queue } from "effect"
import type { Hub } from "../hub/Hub.js"
import type { WireProtocol } from "../protocol/WireProtocol.js"
import type * as ServerConfig from "../ServerConfig.js"
import * as SocketTls from "../socket/SocketTls.js"
import type { Capacity } from "./Capacity.js"
import * as ChatServer from "./ChatServer.js"

/** What a TLS listener needs from the graph: the node, its config, and the certificates. */
export type Requires = Hub | Capacity | ServerConfig.ServerConfig | SocketTls.Certificates

/**
 * `protocol` over TLS on `host:port`, serving the `Certificates`:
 * `ChatTls.listener(IrcProtocol.protocol, { host, port: 6697 }, { announce: "ircs listening on" })`.
 */
export const listener = (
  protocol: WireProtocol,
  listen: SocketTls.ServerOptions,
  options: ChatServer.ListenOptions
): Layer.Layer<never, SocketServer.SocketServerError, Requires> =>
  ChatServer.listener(protocol, SocketTls.layer(listen), options)

/**
 * Reads the certificate files again on each SIGHUP, for the life of the
 * scope. A reload that fails is logged and the old certificates stay.
 *
 * The handler is installed before this returns, so a SIGHUP that comes
 * right after the listeners start does not hit Node's default (exit).
 */
export const reloadOnSighup: Effect.Effect<void, never, SocketTls.Certificates | Scope.Scope> = Effect.gen(
  function*() {
    const certificates = yield* SocketTls.Certificates
    // Hangups while a reload runs make one more reload, not one each.
    const hangups = yield* Queue.sliding<void>(1)
    const onHangup = () => {
      hangups.unsafeOffer(undefined)
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => process.on("SIGHUP", onHangup)),
      () => Effect.sync(() => process.off("SIGHUP", onHangup))
    )
    const reload = certificates.reload.pipe(
      Effect.matchEffect({
        onFailure: (error) =>
          Effect.logWarning(`TLS certificates not reloaded, still serving the old ones: ${error.message}`),
        onSuccess: () =>
          Effect.logInfo(
            `TLS certificates reloaded from ${certificates.files.certFile} and ${certificates.files.keyFile}`
          )
      })
    )
    yield* Queue.take(hangups).pipe(Effect.zipRight(reload), Effect.forever, Effect.forkScoped)
  }
)

/** The certificates, loaded now (failing if unusable), and reloaded on SIGHUP while the layer lasts. */
export const layerCertificates = (
  files: SocketTls.CertificateFiles
): Layer.Layer<SocketTls.Certificates, SocketTls.TlsError> =>
  Layer.scopedDiscard(reloadOnSighup).pipe(Layer.provideMerge(SocketTls.layerCertificates(files)))
