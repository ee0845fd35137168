/**
 * An optional capability of a `Socket`: the address of the peer, as the
 * socket layer saw it when the connection was accepted (`127.0.0.1`,
 * `::1`, `::ffff:10.0.0.7`).
 *
 * The platform's `Socket` interface has no notion of an address, and the
 * server must not reach into `node:net` for it: a layer that knows its
 * peers' addresses (TCP, TLS) offers them here, and the server limits
 * connections per address with it. A socket without one (the in-memory
 * layer, an embedding app's own) is simply not limited per address.
 */
import type * as Socket from "@effect/platform/Socket"
import * as Capability from "./internal/capability.js"

const capability = Capability.make<string>("chat/RemoteAddress")

/** The peer's address, if the socket's layer knows it. */
export const of = capability.of

/** `socket` telling `address` (nothing when the layer does not know it, e.g. a socket already closed). */
export const offer = (socket: Socket.Socket, address: string | undefined): Socket.Socket =>
  address === undefined ? socket : capability.offer(socket, address)
