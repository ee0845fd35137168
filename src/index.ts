/**
 * The public API for embedding the chat server in an Effect app.
 *
 * - `ChatServer`: the server as Layers over any `SocketServer` you provide:
 *   `layer` (the line protocol, one process), `layerOn` (on the backplane
 *   you provide), `listener` (another protocol on another socket layer).
 * - `ChatTcp`: the server over TCP, ready to launch.
 * - `ChatTls`: any protocol's listener over TLS, and the certificates
 *   (reloaded on SIGHUP) they serve.
 * - `ServerConfig`: every knob, its default and its validation.
 * - `Backplane`: where the shared state and the order of events live; the
 *   in-memory one (`Backplane.layerMemory`) is the default.
 * - `Hub`: this node, with a `snapshot` for tests and operators.
 * - `SocketTcp` and `SocketMemory`: the two socket layers; the in-memory one
 *   is for tests, with the `TestClock`. `SocketTls`: TCP's over TLS.
 * - `RemoteAddress`: how a socket layer tells the server its peers'
 *   addresses, for the limits per address.
 * - `LineProtocol`: the line protocol of PROTOCOL.md, as a `WireProtocol`;
 *   `IrcProtocol`: IRC, for `ChatServer.listener`.
 * - `WsProtocol`, `WsMessage`: the WebSocket protocol and its messages' Schemas.
 * - `WebListener`: the page, `/ws`, `/healthz` and `/metrics` on one HTTP port
 *   (over `SocketWeb`); `Health`: what `/healthz` asks (a backplane may provide its own).
 * - `Domain`, `Command`, `Event`: the vocabulary those signatures speak.
 */
export * as Command from "./domain/Command.js"
export * as Domain from "./domain/Domain.js"
export * as Event from "./domain/Event.js"
export * as Backplane from "./hub/Backplane.js"
export { Hub } from "./hub/Hub.js"
export type { Session, Snapshot } from "./hub/Hub.js"
export * as IrcProtocol from "./protocol/irc/IrcProtocol.js"
export * as LineProtocol from "./protocol/line/LineProtocol.js"
export type { WireProtocol } from "./protocol/WireProtocol.js"
export * as WsMessage from "./protocol/ws/WsMessage.js"
export * as WsProtocol from "./protocol/ws/WsProtocol.js"
export * as ChatServer from "./server/ChatServer.js"
export * as ChatTcp from "./server/ChatTcp.js"
export * as ChatTls from "./server/ChatTls.js"
export * as Health from "./server/Health.js"
export * as WebListener from "./server/WebListener.js"
export * as ServerConfig from "./ServerConfig.js"
export * as RemoteAddress from "./socket/RemoteAddress.js"
export * as SocketMemory from "./socket/SocketMemory.js"
export * as SocketTcp from "./socket/SocketTcp.js"
export * as SocketTls from "./socket/SocketTls.js"
export * as SocketWeb from "./socket/SocketWeb.js"
