/**
 * The chat server over TCP, ready to launch: what `chat serve` runs, and what
 * an app embeds to serve `nc` users. Kept apart from `ChatServer` so that
 * embedding the core over another socket layer does not load `node:net`.
 */
import type * as SocketServer from "@effect/platform/SocketServer"
import { Layer } from "effect"
import type { Backplane } from "../hub/Backplane.js"
import type { Hub } from "../hub/Hub.js"
import type { WireProtocol } from "../protocol/WireProtocol.js"
import * as ServerConfig from "../ServerConfig.js"
import * as SocketTcp from "../socket/SocketTcp.js"
import type { Capacity } from "./Capacity.js"
import * as ChatServer from "./ChatServer.js"

export interface TcpOptions extends ServerConfig.ServerOptions {
  readonly host?: string | undefined
  readonly port?: number | undefined
}

/**
 * The line protocol over TCP on the backplane you provide, with a config
 * already validated: `chat serve`'s graph.
 */
export const layerWith = (
  listen: { readonly host: string; readonly port: number },
  config: ServerConfig.ServerConfigShape
): Layer.Layer<Hub | Capacity | ServerConfig.ServerConfig, SocketServer.SocketServerError, Backplane> =>
  ChatServer.layerOn.pipe(
    Layer.provide(SocketTcp.layer(listen)),
    Layer.provideMerge(Layer.succeed(ServerConfig.ServerConfig, config))
  )

/**
 * The whole server over TCP, one process: `ChatTcp.layer({ port: 8888 })`.
 * Fails to build on a bad option or when it cannot listen.
 */
export const layer = (
  options: TcpOptions = {}
): Layer.Layer<Hub, ServerConfig.InvalidConfig | SocketServer.SocketServerError> => {
  const { host = "127.0.0.1", port = 8888, ...chat } = options
  return ChatServer.layer.pipe(
    Layer.provide(SocketTcp.layer({ host, port })),
    Layer.provide(ServerConfig.layer(chat))
  )
}

/**
 * Another protocol's listener over TCP, sharing the node (hub, connection
 * limit, config) of `layerWith`: `chat serve --irc-port`.
 */
export const listenerWith = (
  protocol: WireProtocol,
  listen: { readonly host: string; readonly port: number },
  announce: string
): Layer.Layer<never, SocketServer.SocketServerError, Hub | Capacity | ServerConfig.ServerConfig> =>
  ChatServer.listener(protocol, SocketTcp.layer(listen), { announce })
