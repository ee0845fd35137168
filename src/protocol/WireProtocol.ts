/**
 * What a connection needs to know of the protocol it speaks, and nothing
 * else: how its bytes are framed, how a frame becomes a command, how events
 * are shown. `server/Connection` does the rest (reading with backpressure,
 * flood control, the idle timeout, the slow-reader cut-off, closing) the same
 * way for every protocol, and a listener is a protocol value plus a socket
 * layer.
 */
import type { Input } from "../domain/Command.js"
import type { RoomName } from "../domain/Domain.js"
import type { Render } from "../domain/Event.js"

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
}
