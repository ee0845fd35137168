/**
 * An optional capability that a socket layer attaches to the sockets it
 * makes (reading or writing without an effect, the peer's address,
 * outliving the handler), found again by its key. The platform's `Socket`
 * interface has none of these; a socket from any other layer simply offers
 * none, and the server does without.
 */
import type * as Socket from "@effect/platform/Socket"

export interface Capability<A> {
  /** What `socket` offers, if its layer attached it. */
  readonly of: (socket: Socket.Socket) => A | undefined
  /** `socket`, offering `value`. */
  readonly offer: <S extends Socket.Socket>(socket: S, value: A) => S
}

/** The capability known by `key` (a `Symbol.for` key, unique to it). */
export const make = <A>(key: string): Capability<A> => {
  const id = Symbol.for(key)
  return {
    of: (socket) => id in socket ? (socket as unknown as Readonly<Record<symbol, A>>)[id] : undefined,
    offer: (socket, value) => Object.assign(socket, { [id]: value })
  }
}
