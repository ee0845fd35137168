/**
 * The node: this process' clients, whatever protocol they speak, as the
 * backplane's events reach them.
 *
 * A connection registers its sink (its bounded outbox) and its protocol's
 * `Render`; the hub asks the backplane for every change, and one fiber
 * takes the backplane's ordered events and delivers them (`Fanout`), each
 * rendered once per protocol and appended to the outboxes of the local
 * clients that may see it. Appending never waits, so the hub never waits for
 * a client: each client bounds its own backlog (`server/Outbox`).
 *
 * Why not a subscription per client: measured, a `PubSub` subscription per
 * client woke every connected client's fiber for every event in every room
 * (see the README). The `PubSub` sits between the shared state and each
 * node instead: one subscription per node.
 *
 * Shutting down is the node's own: its clients are told and closed; in a
 * cluster the others see them leave `(server shutting down)`.
 */
import type { Duration, Scope } from "effect"
import { Clock, Deferred, Effect, Exit } from "effect"
import type { Input } from "../domain/Command.js"
import type { ClientId, DisconnectReason, Nick, NickTaken, RoomName, UserInfo } from "../domain/Domain.js"
import { closed, shuttingDown as shuttingDownReason } from "../domain/Domain.js"
import type { Event, Render, Reply, Sink } from "../domain/Event.js"
import type { BackplaneError } from "./Backplane.js"
import { Backplane } from "./Backplane.js"
import * as Fanout from "./Fanout.js"
import type * as HubState from "./HubState.js"

/** What a connection registers. */
export interface Joining {
  /** Where what the client sees goes. */
  readonly sink: Sink
  /** How the client's protocol shows events. */
  readonly render: Render
  /** The room to start in (the line protocol's `#lobby`), or none. */
  readonly room?: RoomName | undefined
  /** What the client says of itself (IRC's `USER`). */
  readonly info?: UserInfo | undefined
  /** The nick asked for; undefined: the lowest free `guest-N`. */
  readonly nick?: Nick | undefined
  /** Asked when the client goes: why, for its rooms. Not yet decided (undefined): `(connection closed)`. */
  readonly reason: () => DisconnectReason | undefined
}

/** One connected client, as its connection sees the hub. */
export interface Session {
  readonly id: ClientId
  readonly nick: Nick
}

/** Who is where, for tests, leak checks and operators. */
export interface Snapshot extends HubState.Snapshot {
  /** This node is shutting down. */
  readonly shuttingDown: boolean
}

const shuttingDownReply: ReadonlyArray<Reply> = [{ _tag: "ShuttingDown" }]

/** Most notices gathered before they are written anyway, however busy the node (a few per cent of a crowd). */
const maxGathered = 1024
/** Longest a gathered notice waits, however busy the node (a busy node's turns each bring more events). */
const maxWaitMillis = 250

export class Hub extends Effect.Service<Hub>()("chat/Hub", {
  scoped: Effect.gen(function*() {
    const backplane = yield* Backplane
    const fanout = Fanout.make()
    // This node's own: whether it is shutting down, and when its last client has gone.
    let shuttingDown = false
    const drained = yield* Deferred.make<void>()
    const checkDrained = (): void => {
      if (shuttingDown && fanout.size() === 0) Deferred.unsafeDone(drained, Exit.void)
    }

    const events = yield* backplane.subscribe
    /** Delivers what arrived; with `writeGathered`, the notices gathered so far are written too. */
    const deliverAll = (batches: ReadonlyArray<ReadonlyArray<Event>>, writeGathered: boolean) =>
      Effect.sync(() => {
        if (batches.length > 0) fanout.deliverAll(batches.length === 1 ? batches[0]! : batches.flat())
        if (writeGathered || fanout.gathered() >= maxGathered) fanout.flush()
      }).pipe(
        // A bug in delivering one batch must not stop the node delivering the next: logged, not swallowed.
        Effect.catchAllDefect((defect) => Effect.logError("could not deliver events", defect))
      )
    /**
     * Arrivals, departures and renames gathered by the fanout wait for the
     * next turn of the event loop, and for as long as each turn brings more
     * events (up to `maxGathered` notices, `maxWaitMillis` by the `Clock`):
     * a crowd's joins then reach each member in one write per many joins
     * rather than one per join. A quiet turn writes them. Measured with 5000
     * clients joining: 2.1 s with no bound but the notices', 2.5 s with
     * 250 ms, 3.0 s with 50 ms. The `TestClock` does not hold a zero sleep,
     * so under it they go at once.
     */
    const deliverGathered: Effect.Effect<void> = Effect.flatMap(
      Clock.currentTimeMillis,
      (since) =>
        Effect.sleep(0).pipe(
          Effect.zipRight(Effect.all([events.pollAll, Clock.currentTimeMillis])),
          Effect.flatMap(([batches, now]) => deliverAll(batches, batches.length === 0 || now - since >= maxWaitMillis)),
          Effect.repeat({ while: () => fanout.gathered() > 0 })
        )
    )
    yield* events.takeAll.pipe(
      Effect.flatMap((batches) => deliverAll(batches, false)),
      Effect.zipRight(Effect.suspend(() => fanout.gathered() > 0 ? deliverGathered : Effect.void)),
      Effect.forever,
      Effect.forkScoped
    )

    const sayGoodbye = (sink: Sink, render: Render): void => {
      const rendered = render.replies(shuttingDownReply)
      sink.write(rendered.text, rendered.count)
      sink.close(shuttingDownReason)
    }

    /**
     * Registers a client for the life of the current scope, its sink in place
     * before its welcome arrives. Closing the scope removes it, and its rooms
     * hear `joining.reason`.
     */
    const connect = (joining: Joining): Effect.Effect<Session, NickTaken | BackplaneError, Scope.Scope> =>
      Effect.gen(function*() {
        const id = yield* backplane.allocateId
        if (shuttingDown) {
          // Told at once, and never registered: the connection closes.
          sayGoodbye(joining.sink, joining.render)
          return { id, nick: "" as Nick }
        }
        fanout.add(id, joining.sink, joining.render)
        const nick = yield* Effect.acquireRelease(
          backplane.connect({ client: id, nick: joining.nick, room: joining.room, info: joining.info }).pipe(
            Effect.tapError(() => Effect.sync(() => fanout.remove(id)))
          ),
          () =>
            Effect.suspend(() => backplane.disconnect(id, joining.reason() ?? closed)).pipe(
              Effect.catchAll((error) => Effect.logWarning("could not announce a departure", error)),
              Effect.ensuring(Effect.sync(() => {
                fanout.remove(id)
                checkDrained()
              }))
            )
        )
        return { id, nick }
      })

    /** Applies a client's lines in one transition; after a quit the rest is ignored, and the result is its reason. */
    const execute = (id: ClientId, inputs: ReadonlyArray<Input>) => backplane.execute(id, inputs)

    /** Replies for one client, in order with the rest; `close` then ends its connection. */
    const tell = (id: ClientId, replies: ReadonlyArray<Reply>, close?: DisconnectReason) =>
      backplane.tell(id, replies, close)

    /**
     * Replies for one client that cannot wait for the backplane (it is the
     * backplane that failed): written now, outside the order.
     */
    const tellHere = (id: ClientId, replies: ReadonlyArray<Reply>): Effect.Effect<void> =>
      Effect.sync(() => {
        const recipient = fanout.find(id)
        if (recipient === undefined) return
        const rendered = recipient.render.replies(replies)
        recipient.sink.write(rendered.text, rendered.count)
      })

    /**
     * Tells this node's clients it is going and waits, up to `within`, for
     * them all to have received it and gone.
     */
    const shutdown = (within: Duration.DurationInput): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!shuttingDown) {
          shuttingDown = true
          fanout.flush()
          for (const recipient of fanout.recipients()) sayGoodbye(recipient.sink, recipient.render)
          checkDrained()
        }
        // Shutdown runs in a finalizer, which is uninterruptible; the wait must not be.
        return Deferred.await(drained).pipe(Effect.interruptible, Effect.timeoutOption(within), Effect.asVoid)
      })

    const snapshot: Effect.Effect<Snapshot, BackplaneError> = backplane.snapshot.pipe(
      Effect.map((state) => ({ ...state, shuttingDown }))
    )

    return { connect, execute, tell, tellHere, shutdown, snapshot } as const
  })
}) {}
