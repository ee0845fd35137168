/**
 * The hub: the single owner of shared state (nicks, rooms, members, history)
 * and of the one `PubSub` that puts every event in one total order.
 *
 * A transition and the publishing of its events happen under one lock, so the
 * order clients see is the order the state changed in. The PubSub is
 * unbounded on purpose: the hub never waits for a client. Each client bounds
 * its own backlog instead (see `Connection`), so a slow reader only ever hurts
 * itself.
 */
import type { Duration } from "effect"
import { Deferred, Effect, HashMap, Option, PubSub, Queue, SynchronizedRef } from "effect"
import type { ClientId, DisconnectReason } from "./Domain.js"
import type { Batch, Event } from "./Event.js"
import * as EventView from "./Event.js"
import * as HubState from "./HubState.js"
import type * as Reply from "./Reply.js"
import { ServerConfig } from "./ServerConfig.js"

/** Events one client's stream takes from the queue at once, at most: bounds a batch's size. */
const maxEventsPerPull = 1024

/** One connected client, as the hub sees it. */
export interface Session {
  readonly id: ClientId
  /**
   * Waits for the next of what this client must see, in order: its room's
   * events from the moment it entered, never its own messages, its private
   * messages and replies, and finally a `close` when the hub asks it to go.
   * One pull takes every event that is ready and renders what the client
   * sees of them as one text to write.
   *
   * A pull, not a `Stream`: it runs once per client per event, the hottest
   * path of the server, and a plain loop over the subscription costs a
   * fraction of a stream's machinery (measured: see the README).
   */
  readonly pull: Effect.Effect<Batch>
}

export class Hub extends Effect.Service<Hub>()("chat/Hub", {
  scoped: Effect.gen(function*() {
    const config = yield* ServerConfig
    const events = yield* PubSub.unbounded<Event>()
    const state = yield* SynchronizedRef.make(HubState.make({ history: config.history }))
    // Completed once shutdown has begun and the last client is gone.
    const drained = yield* Deferred.make<void>()

    const commit = <A>(step: (s: HubState.HubState) => HubState.Transition<A>): Effect.Effect<A> =>
      SynchronizedRef.modifyEffect(state, (current) => {
        const { events: published, result, state: next } = step(current)
        const emptied = next.shuttingDown && HashMap.size(next.clients) === 0
        return PubSub.publishAll(events, published).pipe(
          Effect.zipRight(emptied ? Deferred.succeed(drained, undefined) : Effect.void),
          Effect.as([result, next] as const)
        )
      }).pipe(Effect.uninterruptible)

    const pullFor = (id: ClientId, subscription: Queue.Dequeue<Event>): Effect.Effect<Batch> => {
      // The fold's position: this client's own state, read and written only by its one puller.
      let view = EventView.initialView(id)
      const pullOnce = Queue.takeBetween(subscription, 1, maxEventsPerPull).pipe(
        Effect.map((events) => {
          const batch: Batch = { text: "", lines: 0, close: undefined }
          const sink = EventView.batchSink(batch)
          for (const event of events) view = EventView.seeInto(view, event, sink)
          return batch
        })
      )
      const pull: Effect.Effect<Batch> = Effect.flatMap(
        pullOnce,
        (batch) => batch.lines > 0 || batch.close !== undefined ? Effect.succeed(batch) : pull
      )
      return pull
    }

    /**
     * Registers a client for the life of the current scope. It subscribes
     * before it joins, so its stream starts exactly at its own `Entered`.
     * Closing the scope removes it; `reason` says why, for its room.
     */
    const connect = (reason: Deferred.Deferred<DisconnectReason>) =>
      Effect.gen(function*() {
        const subscription = yield* PubSub.subscribe(events)
        const id = yield* Effect.acquireRelease(
          commit(HubState.connect),
          (id) =>
            Deferred.poll(reason).pipe(
              Effect.flatMap(Option.match({
                onNone: () => Effect.succeed<DisconnectReason>({ _tag: "Closed" }),
                onSome: (done) => done
              })),
              Effect.flatMap((why) => commit((s) => HubState.disconnect(s, id, why)))
            )
        )
        return { id, pull: pullFor(id, subscription) } satisfies Session
      })

    /**
     * Applies a client's lines, in order, in one transition: a mistake
     * becomes a `!` line for that client alone. After `/quit` the rest is
     * ignored, and the result is its reason.
     */
    const execute = (
      id: ClientId,
      inputs: ReadonlyArray<HubState.Input>
    ): Effect.Effect<DisconnectReason | undefined> =>
      commit((s) => HubState.applyAll(s, id, inputs))

    /** Lines for one client, in order with the rest; `close` then ends its connection. */
    const tell = (id: ClientId, lines: ReadonlyArray<Reply.Line>, close?: DisconnectReason): Effect.Effect<void> =>
      commit((s) => HubState.tell(s, id, lines, close))

    /**
     * Tells every client the server is going and waits, up to `within`, for
     * them all to have received it and gone.
     */
    const shutdown = (within: Duration.DurationInput): Effect.Effect<void> =>
      commit(HubState.shutdown).pipe(
        Effect.zipRight(
          // Shutdown runs in a finalizer, which is uninterruptible; the wait must not be.
          Deferred.await(drained).pipe(Effect.interruptible, Effect.timeoutOption(within), Effect.asVoid)
        )
      )

    const snapshot: Effect.Effect<HubState.Snapshot> = SynchronizedRef.get(state).pipe(
      Effect.map(HubState.snapshot)
    )

    return { connect, execute, tell, shutdown, snapshot } as const
  })
}) {}
