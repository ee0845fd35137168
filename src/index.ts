/**
 * The public API for embedding the chat server in an Effect app.
 *
 * - `ChatServer.layer`: the server over any `SocketServer` you provide.
 * - `ChatServer.layerTcp(options)`: the server over TCP, ready to launch.
 * - `ServerConfig`: every knob, its default and its validation.
 * - `SocketTcp` and `SocketMemory`: the two socket layers; the in-memory one
 *   is for tests, with the `TestClock`.
 * - `Hub`: the shared state, with a `snapshot` for tests and operators.
 */
export * as ChatServer from "./ChatServer.js"
export * as Command from "./Command.js"
export * as Domain from "./Domain.js"
export * as Frame from "./Frame.js"
export { Hub } from "./Hub.js"
export type { Session } from "./Hub.js"
export * as HubState from "./HubState.js"
export * as Reply from "./Reply.js"
export * as ServerConfig from "./ServerConfig.js"
export * as SocketMemory from "./SocketMemory.js"
export * as SocketTcp from "./SocketTcp.js"
