/**
 * An optional capability of a served `Socket`: its connection may outlive
 * the handler's fiber.
 *
 * `SocketServer.run` serves each connection with a handler whose effect
 * lasts as long as the connection: one fiber per connection for its whole
 * life. Measured, that fiber (its suspended stack, its `FiberRefs`) was
 * about 12 KB of the 31 KB of heap an idle chat connection held. A socket
 * layer that offers this capability (our accept loop, for TCP, TLS,
 * WebSocket and the in-memory layer) lets a handler set its connection up,
 * hand over how to close it, and return: the connection then holds no fiber
 * until something happens on it. Any other socket layer works as before,
 * the handler waiting for its connection's end.
 */
import type { Effect } from "effect"
import * as Capability from "./internal/capability.js"

export interface Detach {
  /**
   * From now on the handler's return does not end the connection. It ends
   * when the returned function is called (once; later calls do nothing) or
   * when the server stops, whichever comes first: `closing` runs then,
   * uninterruptibly, and the socket is closed after it as after a handler's
   * return.
   */
  readonly detach: (closing: Effect.Effect<void>) => () => void
}

const capability = Capability.make<Detach>("chat/Detach")

/** The socket's detach, if its layer offers one. */
export const of = capability.of

/** `socket` offering a detach. */
export const offer = capability.offer
