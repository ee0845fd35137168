/**
 * What a connection needs to know of the protocol it speaks, and nothing
 * else: how its bytes are framed, how a frame becomes a command, how events
 * are shown. `server/Connection` does the rest (reading with backpressure,
 * flood control, the idle timeout, the slow-reader cut-off, closing) the same
 * way for every protocol, and a listener is a protocol value plus a socket
 * layer.
 */
import type { Duration } from "effect"
import type { Input } from "../domain/Command.js"
import type { Nick, NickTaken, RoomName, UserInfo } from "../domain/Domain.js"
import type { Render, Rendered, Sink } from "../domain/Event.js"
import type { Frame } from "./Frame.js"

export interface WireProtocol {
  /** For logs and metrics: `line`, `irc`, `ws`. */
  readonly name: string
  /**
   * `stream`: a byte stream split into lines (`protocol/Frame`), as TCP and
   * TLS carry; `message`: one message per frame, as a WebSocket carries.
   */
  readonly framing: "stream" | "message"
  /** The room a new client enters (`#lobby` for the line protocol), or none. */
  readonly startIn: RoomName | undefined
  /** What one frame's text asks for; undefined: nothing (a blank line). */
  readonly parse: (text: string) => Input | undefined
  /**
   * With message framing: what a binary frame asks for (the WebSocket
   * protocol is text only, so an error). Absent: its bytes are read as text.
   */
  readonly binary?: Input | undefined
  readonly render: Render
  /**
   * For a protocol with per-connection state (IRC: registration before the
   * client joins the chat, the nick it asked for, keep-alives): a session made
   * for each connection, which then reads every frame instead of `parse`, and
   * the client is connected to the hub only when the session says so
   * (`Register`). Without it, the client is connected at once (`startIn`).
   */
  readonly session?: (() => ProtocolSession) | undefined
}

/** What a session makes of one frame, in order. */
export type Step =
  /** Text for this client alone that needs nothing shared (IRC's `CAP`, `MOTD`, a numeric before registration). */
  | { readonly _tag: "Local"; readonly rendered: Rendered }
  /** A command (or mistake) for the hub; only once registered. */
  | { readonly _tag: "Input"; readonly input: Input }
  /** Connect to the hub under `nick`; if it is taken, the session hears it (`nickTaken`) and reading goes on. */
  | { readonly _tag: "Register"; readonly nick: Nick; readonly info?: UserInfo | undefined }
  /** Before registering: write `rendered`, then close. */
  | { readonly _tag: "Close"; readonly rendered: Rendered }

export interface ProtocolSession {
  readonly read: (frame: Frame) => ReadonlyArray<Step>
  /** The client is registered, under `nick`. */
  readonly registered?: ((nick: Nick) => void) | undefined
  /** The nick asked for at registration is taken: what to tell the client (it may try another). */
  readonly nickTaken: (error: NickTaken) => Rendered
  /** Wraps the client's sink (IRC: one `QUIT` per recipient however many rooms it shared with the leaver). */
  readonly sink?: ((sink: Sink) => Sink) | undefined
  /**
   * Keep-alive: after half the idle timeout of silence the client is sent
   * `ping`, and the connection ends `(idle)` after the whole of it. Without
   * `--idle-timeout`, `idleTimeout` applies.
   */
  readonly keepAlive?: { readonly ping: () => Rendered; readonly idleTimeout: Duration.Duration } | undefined
}
