/**
 * The backplane: the single owner of the chat's shared state (nicks, rooms,
 * members, history) and of the one order of events in each room, behind a
 * narrow interface that every node of a chat uses.
 *
 * - Each method applies one transition atomically and returns its result;
 *   the transition's events, numbered in their rooms, go to every node's
 *   `events` in that order.
 * - A node only delivers (`Hub`): it never decides an order of its own.
 *
 * This module holds the in-memory backplane, the default that needs nothing
 * installed: a pure `HubState` in a `Ref`, and a `PubSub` carrying each
 * transition's events to the nodes (the design card's hub). Another
 * implementation (Redis, for a cluster) provides the same Tag and passes the
 * same contract suite (`test/hub/BackplaneContract.ts`).
 */
import type { Scope } from "effect"
import { Context, Data, Effect, Either, Layer, PubSub, Queue, Ref } from "effect"
import type { Input } from "../domain/Command.js"
import type { ClientId, DisconnectReason, Nick, NickTaken, RoomName, UserInfo } from "../domain/Domain.js"
import type { Event, Reply } from "../domain/Event.js"
import * as HubState from "./HubState.js"

/** The backplane could not apply a transition: the user is told their line was not delivered. */
export class BackplaneError extends Data.TaggedError("BackplaneError")<{
  readonly reason: "Unavailable" | "Timeout" | "Fenced"
  readonly cause?: unknown
}> {}

export interface Connecting {
  /** Allocated by `allocateId`. */
  readonly client: ClientId
  /** The nick asked for; undefined: the lowest free `guest-N`. */
  readonly nick?: Nick | undefined
  /** The room to start in, or none. */
  readonly room?: RoomName | undefined
  /** What the client says of itself (IRC's `USER`). */
  readonly info?: UserInfo | undefined
}

export interface BackplaneShape {
  /** A client id no other client of the chat has or had. */
  readonly allocateId: Effect.Effect<ClientId, BackplaneError>
  /** Registers a client: its nick, its first room. Fails if the nick asked for is taken. */
  readonly connect: (connecting: Connecting) => Effect.Effect<Nick, NickTaken | BackplaneError>
  /** The client is gone; its rooms hear `reason`. */
  readonly disconnect: (client: ClientId, reason: DisconnectReason) => Effect.Effect<void, BackplaneError>
  /**
   * Applies a client's lines, in order, as one transition: a mistake becomes
   * a reply to that client alone. After a quit the rest is ignored, and the
   * result is its reason.
   */
  readonly execute: (
    client: ClientId,
    inputs: ReadonlyArray<Input>
  ) => Effect.Effect<DisconnectReason | undefined, BackplaneError>
  /** Replies for one client, in order with everything else it sees; `close` then ends its connection. */
  readonly tell: (
    client: ClientId,
    replies: ReadonlyArray<Reply>,
    close?: DisconnectReason
  ) => Effect.Effect<void, BackplaneError>
  /**
   * Subscribes this node to the events, from now on, for as long as the scope
   * lasts: each item is one transition's events, in the order transitions
   * were applied.
   */
  readonly subscribe: Effect.Effect<Events, never, Scope.Scope>
  readonly snapshot: Effect.Effect<HubState.Snapshot, BackplaneError>
}

/** A node's subscription: takes every batch that arrived since the last take, waiting for one. */
export interface Events {
  readonly takeAll: Effect.Effect<ReadonlyArray<ReadonlyArray<Event>>>
  /** Every batch that arrived since the last take, none if none did: never waits. */
  readonly pollAll: Effect.Effect<ReadonlyArray<ReadonlyArray<Event>>>
}

/** A node's subscription on a `PubSub` of batches. */
export const eventsOf = (queue: Queue.Dequeue<ReadonlyArray<Event>>): Events => ({
  // At least one batch: waits while there is none.
  takeAll: Effect.map(Queue.takeBetween(queue, 1, Number.POSITIVE_INFINITY), (chunk) => Array.from(chunk)),
  pollAll: Effect.map(Queue.takeAll(queue), (chunk) => Array.from(chunk))
})

export class Backplane extends Context.Tag("chat/Backplane")<Backplane, BackplaneShape>() {}

export interface MemoryOptions {
  /** Messages and actions each room keeps for newcomers (0: none). */
  readonly history: number
}

/** The in-memory backplane, for one process: any number of nodes (`Hub`s) may share it. */
export const makeMemory = (options: MemoryOptions): Effect.Effect<BackplaneShape> =>
  Effect.gen(function*() {
    const state = yield* Ref.make(HubState.make({ history: options.history }))
    const hub = yield* PubSub.unbounded<ReadonlyArray<Event>>()
    const nextId = yield* Ref.make<ClientId>(1)

    // The transition and the publishing of its events happen in one
    // synchronous step, so the order on the PubSub is the order the state
    // changed in.
    const commit = <A>(step: (s: HubState.HubState) => HubState.Transition<A>): Effect.Effect<A> =>
      Ref.modify(state, (current) => {
        const { events, result, state: next } = step(current)
        if (events.length > 0) hub.unsafeOffer(events)
        return [result, next]
      })

    return {
      allocateId: Ref.getAndUpdate(nextId, (n) => n + 1),
      connect: (connecting) =>
        Ref.modify(state, (current): readonly [Either.Either<Nick, NickTaken>, HubState.HubState] => {
          const connected = HubState.connect(current, connecting.client, connecting)
          if (Either.isLeft(connected)) return [Either.left(connected.left), current]
          const { events, result, state: next } = connected.right
          hub.unsafeOffer(events)
          return [Either.right(result), next]
        }).pipe(Effect.flatMap((result) => result)),
      disconnect: (client, reason) => commit((s) => HubState.disconnect(s, client, reason)),
      execute: (client, inputs) => commit((s) => HubState.applyAll(s, client, inputs)),
      tell: (client, replies, close) => commit((s) => HubState.tell(s, client, replies, close)),
      subscribe: Effect.map(PubSub.subscribe(hub), eventsOf),
      snapshot: Effect.map(Ref.get(state), HubState.snapshot)
    }
  })

/** The in-memory backplane as a layer. */
export const layerMemory = (options: MemoryOptions): Layer.Layer<Backplane> =>
  Layer.effect(Backplane, makeMemory(options))
