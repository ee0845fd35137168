/**
 * An optional capability of a `Socket`: handing it text without running an
 * effect.
 *
 * Fan-out writes to every recipient of every event. Through the platform's
 * `Socket.writer` each of those writes is an effect run by the recipient's
 * writer fiber, so every delivery costs a fiber wake-up; measured, that was
 * most of the server's CPU per delivery. A socket layer that can take text
 * synchronously (ours over `node:net`) offers this capability, and the
 * connection then writes what the hub delivers at once, falling back to its
 * writer fiber only while the socket is full. Any other socket layer works
 * as before, through its writer.
 */
import type * as Socket from "@effect/platform/Socket"
import type { Effect } from "effect"
import * as Capability from "./internal/capability.js"

export interface DirectWrite {
  /**
   * Hands `text` to the socket now. `"ok"`: it can take more; `"full"`: it
   * took the text but holds more than it should, so wait for `drained`
   * before writing again; `"closed"`: it took nothing and never will.
   * `canWait`: the socket may hold the text back a little, to send it with
   * what follows (see `Event.Sink`).
   */
  readonly write: (text: string, canWait: boolean) => "ok" | "full" | "closed"
  /** Waits until a full socket can take more; fails if it closes first. */
  readonly drained: Effect.Effect<void, Socket.SocketError>
}

const capability = Capability.make<DirectWrite>("chat/DirectWrite")

/** The socket's direct write, if its layer offers one. */
export const of = capability.of

/** `socket` offering a direct write. */
export const offer = capability.offer
