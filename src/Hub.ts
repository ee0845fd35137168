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
import type { Duration , Queue} from "effect"
import { Chunk, Deferred, Effect, Either, HashMap, Option, PubSub, Stream, SynchronizedRef } from "effect"
import type { Command } from "./Command.js"
import type { ClientId, DisconnectReason } from "./Domain.js"
import type { Event, Output } from "./Event.js"
import * as EventView from "./Event.js"
import * as HubState from "./HubState.js"
import * as Reply from "./Reply.js"
import { ServerConfig } from "./ServerConfig.js"

/** One connected client, as the hub sees it. */
export interface Session {
  readonly id: ClientId
  /**
   * Everything this client must see, in order: its room's events from the
   * moment it entered, never its own messages, its private messages and
   * replies, and finally a `Close` when the hub asks it to go.
   */
  readonly output: Stream.Stream<Output>
}

export class Hub extends Effect.Service<Hub>()("chat/Hub", {
  scoped: Effect.gen(function*() {
    const config = yield* ServerConfig
    const events = yield* PubSub.unbounded<Event>()
    const state = yield* SynchronizedRef.make(HubState.empty)
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

    const outputOf = (id: ClientId, subscription: Queue.Dequeue<Event>): Stream.Stream<Output> =>
      Stream.suspend(() => {
        let view = EventView.initialView(id)
        return Stream.fromQueue(subscription, { maxChunkSize: 4096 }).pipe(
          Stream.mapChunks((batch) => {
            const out: Array<Output> = []
            for (const event of batch) view = EventView.see(view, event, out)
            return Chunk.unsafeFromArray(out)
          })
        )
      })

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
        return { id, output: outputOf(id, subscription) } satisfies Session
      })

    const limits: HubState.Limits = { history: config.history }

    /** Applies a command; a mistake becomes a `!` line for that client alone. */
    const execute = (id: ClientId, command: Command): Effect.Effect<void> =>
      commit((s) =>
        Either.match(HubState.apply(s, id, command, limits), {
          onLeft: (error) => HubState.tell(s, id, [Reply.userError(error)]),
          onRight: (done) => done
        })
      )

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
