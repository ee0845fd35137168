/**
 * The hub: the single owner of shared state (nicks, rooms, members, history)
 * and of the one total order of events.
 *
 * A transition and the delivery of its events happen in one synchronous
 * step, so the order clients see is the order the state changed in. Each
 * event is rendered once and appended to the outboxes of the clients that
 * may see it (`Fanout`); appending never waits, so the hub never waits for
 * a client. Each client bounds its own backlog instead (`Outbox`): a slow
 * reader only ever hurts itself.
 *
 * Why not a `PubSub` with a subscription per client: measured, it woke every
 * connected client's fiber for every event in every room, at a `Deferred`
 * and two fiber resumptions per recipient per event (see the README).
 */
import type { Duration } from "effect"
import { Deferred, Effect, Exit, HashMap, Option, Ref } from "effect"
import type { DirectWrite } from "./DirectWrite.js"
import type { ClientId, DisconnectReason } from "./Domain.js"
import * as Fanout from "./Fanout.js"
import * as HubState from "./HubState.js"
import * as Outbox from "./Outbox.js"
import type * as Reply from "./Reply.js"
import { ServerConfig } from "./ServerConfig.js"

/** One connected client, as its connection sees the hub. */
export interface Session {
  readonly id: ClientId
  /**
   * What this client must see, in order: its room's events from the moment
   * it entered, never its own messages, its private messages and replies,
   * and finally a `close` when the hub asks it to go. Bounded by
   * `--max-queue`: past it, the session's `reason` becomes `TooSlow`.
   */
  readonly outbox: Pick<Outbox.Outbox, "take">
}

const tooSlow: DisconnectReason = { _tag: "TooSlow" }

export class Hub extends Effect.Service<Hub>()("chat/Hub", {
  scoped: Effect.gen(function*() {
    const config = yield* ServerConfig
    const state = yield* Ref.make(HubState.make({ history: config.history }))
    const fanout = Fanout.make()
    // Completed once shutdown has begun and the last client is gone.
    const drained = yield* Deferred.make<void>()

    /**
     * Runs a transition and delivers its events, atomically: both are
     * synchronous, inside one `Ref.modify`. `around` registers or forgets a
     * client at the right point of the same step.
     */
    const commit = <A>(
      step: (s: HubState.HubState) => HubState.Transition<A>,
      around?: { readonly before?: (result: A) => void; readonly after?: (result: A) => void }
    ): Effect.Effect<A> =>
      Ref.modify(state, (current) => {
        const { events, result, state: next } = step(current)
        around?.before?.(result)
        for (const event of events) fanout.deliver(event)
        around?.after?.(result)
        if (next.shuttingDown && HashMap.size(next.clients) === 0) Deferred.unsafeDone(drained, Exit.void)
        return [result, next]
      })

    /**
     * Registers a client for the life of the current scope, its outbox in
     * place before its welcome is delivered. Closing the scope removes it;
     * `reason` says why, for its room. With `direct`, its socket's direct
     * write, delivery writes to the socket at once while it can take more.
     */
    const connect = (reason: Deferred.Deferred<DisconnectReason>, direct?: DirectWrite) =>
      Effect.gen(function*() {
        const outbox = Outbox.make(config.maxQueue, () => Deferred.unsafeDone(reason, Exit.succeed(tooSlow)), direct)
        const id = yield* Effect.acquireRelease(
          commit(HubState.connect, { before: (id) => fanout.add(id, outbox) }),
          (id) =>
            Deferred.poll(reason).pipe(
              Effect.flatMap(Option.match({
                onNone: () => Effect.succeed<DisconnectReason>({ _tag: "Closed" }),
                onSome: (done) => done
              })),
              Effect.flatMap((why) => commit((s) => HubState.disconnect(s, id, why), { after: () => fanout.remove(id) }))
            )
        )
        return { id, outbox } satisfies Session
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

    const snapshot: Effect.Effect<HubState.Snapshot> = Ref.get(state).pipe(
      Effect.map(HubState.snapshot)
    )

    return { connect, execute, tell, shutdown, snapshot } as const
  })
}) {}
