/**
 * The Redis backplane: many `chat serve` nodes as one chat. The second
 * implementation of `Backplane` (same Tag, same contract suite as the
 * in-memory one).
 *
 * - Redis is the sequencer: each transition is one Lua script
 *   (`redis/Scripts.ts`) that checks the node may act, numbers the events
 *   in their rooms, logs them, changes nicks and members, and publishes a
 *   wake-up. The script's answer carries the events too.
 * - Each node delivers strictly by room number (`redis/Delivery.ts`), its
 *   own events included, filling gaps from the room's log.
 * - Liveness: a heartbeat per node; the heartbeat script reaps stale nodes
 *   (their clients leave `(connection lost)`). A node that cannot refresh
 *   its heartbeat for a third of the timeout drops its clients rather than
 *   act for nicks that may no longer be theirs, and comes back as a new node.
 * - Redis restarted empty (its epoch changed): the node registers its
 *   clients again, nicks and rooms, and tells them the history was lost.
 *
 * Client ids are the node's number × 10^8 plus a count: unique in the
 * cluster without a round trip, and exact through Lua's numbers.
 */
import type { Scope } from "effect"
import type { ParseResult } from "effect"
import { Context, Data, Duration, Effect, Either, Layer, PubSub, Queue, Schedule, Schema } from "effect"
import { randomUUID } from "node:crypto"
import type { Input } from "../domain/Command.js"
import type { ClientId, NameKey, Nick, RoomName } from "../domain/Domain.js"
import { connectionLost, DisconnectReasonSchema, keyOf, NickTaken, shuttingDown, UserError } from "../domain/Domain.js"
import { Acted, Event, Joined, Left, Renamed, Replied, Said, TopicSet, Whispered } from "../domain/Event.js"
import type { BackplaneShape } from "./Backplane.js"
import { Backplane, BackplaneError, eventsOf } from "./Backplane.js"
import * as Delivery from "./redis/Delivery.js"
import * as RedisClient from "./redis/RedisClient.js"
import * as Scripts from "./redis/Scripts.js"

export interface RedisBackplaneOptions {
  /** `redis://HOST:PORT[/DB]`. */
  readonly url: string
  /** The key prefix: several chats can share one Redis. Default `chat`. */
  readonly cluster?: string | undefined
  /** Messages and actions each room keeps for newcomers (0: none). */
  readonly history: number
  /** A node silent this long is presumed dead. Default 12 s (its clients are released within 15 s). */
  readonly nodeTimeout?: Duration.DurationInput | undefined
  /** How long a command may take before the user is told it was not delivered. Default 3 s. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** Events each room's log keeps for filling gaps. Default 1000. */
  readonly logLength?: number | undefined
}

export interface ClusterStatus {
  readonly name: string
  /** This node's number in the cluster (it changes if the node lost the cluster and came back). */
  readonly node: string
  /** Nodes alive, as of the last heartbeat. */
  readonly nodes: number
  /** Redis answered a heartbeat within a third of the node timeout. */
  readonly reachable: boolean
}

/** The node's place in the cluster, for logs and a health check (`/healthz`). */
export class Cluster extends Context.Tag("chat/Cluster")<Cluster, {
  readonly status: Effect.Effect<ClusterStatus>
}>() {}

/**
 * Events as our scripts wrote them. Every node reads every published event,
 * and a full Schema decode costs several times the JSON parse (measured: 38
 * µs against 7 per event), so the events the scripts build are constructed
 * without a second validation, as `HubState` builds its own. Replies (their
 * shapes are many) and anything unexpected go through the Schema, its
 * decoder made once here.
 */
const decodeEvent = Schema.decodeUnknownEither(Event)
const fields = <A extends Event>(value: object): ConstructorParameters<new(props: Omit<A, "_tag">) => A>[0] =>
  value as Omit<A, "_tag">

const trusted = (value: unknown): Either.Either<Event, ParseResult.ParseError> => {
  if (typeof value !== "object" || value === null || !("_tag" in value)) return decodeEvent(value)
  switch (value._tag) {
    case "Said":
      return Either.right(new Said(fields<Said>(value), true))
    case "Acted":
      return Either.right(new Acted(fields<Acted>(value), true))
    case "Joined":
      return Either.right(new Joined(fields<Joined>(value), true))
    case "Left":
      return Either.right(new Left(fields<Left>(value), true))
    case "Renamed":
      return Either.right(new Renamed(fields<Renamed>(value), true))
    case "TopicSet":
      return Either.right(new TopicSet(fields<TopicSet>(value), true))
    case "Whispered":
      return Either.right(new Whispered(fields<Whispered>(value), true))
    default:
      return decodeEvent(value)
  }
}

/** Undecodable: the scripts and this code disagree, a bug. */
class Undecodable extends Data.TaggedError("Undecodable")<{ readonly cause: unknown }> {}

const parseJson = (json: unknown): Either.Either<unknown, Undecodable> =>
  typeof json === "string"
    ? Either.try({ try: (): unknown => JSON.parse(json), catch: (cause) => new Undecodable({ cause }) })
    : Either.left(new Undecodable({ cause: "not a string" }))

const decodeEvents = (values: unknown): Either.Either<ReadonlyArray<Event>, Undecodable> => {
  if (!Array.isArray(values)) return Either.left(new Undecodable({ cause: "not an array" }))
  const events: Array<Event> = []
  for (const value of values) {
    const event = trusted(value)
    if (Either.isLeft(event)) return Either.left(new Undecodable({ cause: event.left }))
    events.push(event.right)
  }
  return Either.right(events)
}

/** A script's answer: `{"r": result, "e": [events]}`. */
const decodeAnswer = (
  json: unknown
): Either.Either<{ readonly r: unknown; readonly e: ReadonlyArray<Event> }, Undecodable> =>
  Either.flatMap(parseJson(json), (answer) =>
    typeof answer === "object" && answer !== null && "e" in answer
      ? Either.map(decodeEvents(answer.e), (e) => ({ r: "r" in answer ? answer.r : undefined, e }))
      : Either.left(new Undecodable({ cause: "not an answer" })))

/** A pub/sub message's events, or a log entry's one. */
const decodePublished = (json: string) => Either.flatMap(parseJson(json), decodeEvents)
const decodeLogged = (json: unknown) =>
  Either.flatMap(parseJson(json), (value) => Either.mapLeft(trusted(value), (cause) => new Undecodable({ cause })))

const decodeReason = Schema.decodeUnknownEither(Schema.UndefinedOr(DisconnectReasonSchema))
const encodeReason = Schema.encodeSync(DisconnectReasonSchema)
const encodeError = Schema.encodeSync(UserError)

type Item =
  | { readonly _tag: "Published"; readonly message: string }
  | {
    readonly _tag: "Answered"
    readonly events: ReadonlyArray<Event>
    readonly held: ReadonlyArray<NameKey>
    /** The operation whose answer this is: its pub/sub copy needs no decoding. */
    readonly op?: string | undefined
  }
  | { readonly _tag: "Release"; readonly held: ReadonlyArray<NameKey> }
  | { readonly _tag: "Check"; readonly room: NameKey }
  | { readonly _tag: "Resync" }
  /** Redis came back empty, in `epoch`: what this node delivers starts again there. */
  | { readonly _tag: "Restart"; readonly epoch: string }
  | { readonly _tag: "Direct"; readonly events: ReadonlyArray<Event> }

type Outcome =
  | { readonly _tag: "Done"; readonly result: unknown; readonly events: ReadonlyArray<Event>; readonly op: string }
  | { readonly _tag: "Taken"; readonly nick: Nick }

const encodeInput = (input: Input): unknown =>
  Either.isLeft(input) ? { err: encodeError(input.left) } : { ok: { ...input.right } }

const joinsIn = (inputs: ReadonlyArray<Input>): Array<NameKey> =>
  inputs.flatMap((input) => Either.isRight(input) && input.right._tag === "Join" ? [keyOf(input.right.room)] : [])

const stringOf = (reply: RedisClient.Reply | undefined): string => typeof reply === "string" ? reply : String(reply)

/** The Redis backplane of one node, for the life of the scope. */
export const make = (
  options: RedisBackplaneOptions
): Effect.Effect<readonly [BackplaneShape, Cluster["Type"]], BackplaneError, Scope.Scope> =>
  Effect.gen(function*() {
    const name = options.cluster ?? "chat"
    const prefix = `${name}:`
    const timeoutMs = Duration.toMillis(Duration.decode(options.nodeTimeout ?? Duration.seconds(12)))
    const commandTimeout = Duration.decode(options.commandTimeout ?? Duration.seconds(3))
    const commandMs = Duration.toMillis(commandTimeout)
    const logLength = options.logLength ?? 1000
    const beatEvery = Math.max(50, Math.floor(timeoutMs / 12))

    const cmd = yield* RedisClient.connect(options.url, commandTimeout, `${name}-commands`)
    const sub = yield* RedisClient.connect(options.url, commandTimeout, `${name}-events`)

    // Redis time minus ours, as of the last heartbeat: deadlines are in Redis time.
    let offset = 0
    const registered = yield* cmd.run(Scripts.register, [prefix, randomUUID(), ""])
    const first = (registered as ReadonlyArray<RedisClient.Reply>).map(stringOf)
    let epoch = first[0] ?? ""
    let node = first[1] ?? ""
    let nodes = first[2] ?? "1"
    offset = Number((registered as ReadonlyArray<RedisClient.Reply>)[3]) - Date.now()
    let lastBeat = Date.now()
    let clients = 0
    let ops = 0
    /** Set once this node has stopped acting for its clients, until it has come back as a new node. */
    let lost = false
    /** Clients dropped when the node lost the cluster: their departures are the reaper's to announce. */
    const dropped = new Set<ClientId>()

    const inbox = yield* Queue.unbounded<Item>()
    const out = yield* PubSub.unbounded<ReadonlyArray<Event>>()

    const readLog = (room: NameKey, from: number, to: number) =>
      cmd.call("ZRANGEBYSCORE", [`${prefix}log:${room}`, from, to === Number.POSITIVE_INFINITY ? "+inf" : to]).pipe(
        Effect.flatMap((found) =>
          Effect.forEach(Array.isArray(found) ? found : [], (json) => Effect.orDie(decodeLogged(json)))
        )
      )

    // Gaps pub/sub may still fill: checked after a moment, by one fiber.
    const gaps = yield* Queue.unbounded<NameKey>()
    yield* Queue.takeAll(gaps).pipe(
      Effect.flatMap((rooms) =>
        Effect.sleep(Duration.millis(50)).pipe(
          Effect.zipRight(Queue.offerAll(inbox, Array.from(rooms, (room): Item => ({ _tag: "Check", room }))))
        )
      ),
      Effect.zipRight(Queue.take(gaps).pipe(Effect.flatMap((room) => Queue.offer(gaps, room)))),
      Effect.forever,
      Effect.forkScoped
    )
    const delivery = Delivery.make({
      emit: (batch) => {
        out.unsafeOffer(batch)
      },
      read: readLog,
      later: (room) => Queue.unsafeOffer(gaps, room)
    })

    /**
     * This node's operations whose answers were delivered and whose pub/sub
     * copies have not arrived yet: a copy whose answer came first holds
     * nothing new (the same events, by the same numbers), so it is skipped
     * undecoded. Bounded: past `maxAnswered` the oldest is forgotten, and its
     * copy, if it still comes, is decoded and dropped by number. A copy that
     * came first is remembered the same way, so that its answer does not wait
     * for it.
     */
    const answeredOps = new Set<string>()
    /** The epoch of what the delivery loop has delivered (the transitions' `epoch` may be ahead). */
    let deliveryEpoch = epoch
    const copiedOps = new Set<string>()
    const maxAnswered = 1000
    const remember = (ops: Set<string>, op: string): void => {
      ops.add(op)
      if (ops.size > maxAnswered) ops.delete(ops.values().next().value!)
    }

    const handle = (item: Item): Effect.Effect<void> => {
      switch (item._tag) {
        case "Published": {
          // `EPOCH|ORIGIN|[events]`: ORIGIN is the operation (`NODE:N`), or `0` for the reaper.
          const first = item.message.indexOf("|")
          const bar = item.message.indexOf("|", first + 1)
          // Numbered after Redis came back empty, before this node has caught up: its restart reads them from the log.
          if (item.message.slice(0, first) !== deliveryEpoch) return Effect.void
          const origin = item.message.slice(first + 1, bar)
          if (answeredOps.delete(origin)) return Effect.void
          const colon = origin.indexOf(":")
          const own = (colon === -1 ? origin : origin.slice(0, colon)) === node
          if (own && colon !== -1) remember(copiedOps, origin)
          return Either.match(decodePublished(item.message.slice(bar + 1)), {
            onLeft: (error) => Effect.logWarning("an undecodable event from Redis", error),
            onRight: (events) => delivery.published(events, own)
          })
        }
        case "Answered":
          if (item.op !== undefined && !copiedOps.delete(item.op)) remember(answeredOps, item.op)
          return delivery.answered(item.events, item.held)
        case "Release":
          return delivery.release(item.held)
        case "Check":
          return delivery.check(item.room)
        case "Resync":
          return delivery.resync
        case "Restart":
          deliveryEpoch = item.epoch
          return delivery.restart
        case "Direct":
          return Effect.sync(() => delivery.direct(item.events))
      }
    }

    // The delivery loop: one fiber, so the room order is applied in one place;
    // everything that arrived meanwhile is handled in one wake-up.
    yield* Queue.takeBetween(inbox, 1, 1024).pipe(
      Effect.flatMap((items) => Effect.forEach(items, handle, { discard: true })),
      Effect.forever,
      Effect.forkScoped
    )

    // Pub/sub carries the events; after a reconnect, each room is read from its log past what was delivered.
    sub.redis.on("message", (_channel: string, message: string) => {
      Queue.unsafeOffer(inbox, { _tag: "Published", message })
    })
    yield* sub.subscribe(`${prefix}events`)
    sub.redis.on("ready", () => {
      Queue.unsafeOffer(inbox, { _tag: "Resync" })
    })

    /** Runs a transition's script with the checks every one starts with. */
    const transition = (script: string, args: ReadonlyArray<string>): Effect.Effect<Outcome, BackplaneError> =>
      Effect.suspend(() => {
        if (lost) return Effect.fail(new BackplaneError({ reason: "Fenced" }))
        const deadline = Date.now() + offset + commandMs - 500
        const op = `${node}:${++ops}`
        const header = [prefix, epoch, node, op, String(deadline), String(options.history)]
        return cmd.run(script, [...header, String(logLength), ...args]).pipe(
          Effect.flatMap((reply): Effect.Effect<Outcome, BackplaneError> => {
            const answer = reply as ReadonlyArray<RedisClient.Reply>
            switch (answer[0]) {
              case "ok":
                return Effect.orDie(decodeAnswer(answer[1])).pipe(
                  Effect.map((decoded): Outcome => ({ _tag: "Done", result: decoded.r, events: decoded.e, op }))
                )
              case "taken":
                return Effect.succeed({ _tag: "Taken", nick: stringOf(answer[1]) as Nick })
              case "expired":
                return Effect.fail(new BackplaneError({ reason: "Timeout" }))
              case "fenced":
                return Effect.fail(new BackplaneError({ reason: "Fenced" }))
              case "unknown":
                // The scripts and this code disagree on the commands: a bug, refused before anything changed.
                return Effect.logError(`the Redis scripts do not know the command ${stringOf(answer[1])}`).pipe(
                  Effect.zipRight(Effect.fail(
                    new BackplaneError({ reason: "Unavailable", cause: `unknown command ${stringOf(answer[1])}` })
                  ))
                )
              default:
                return Effect.fail(new BackplaneError({ reason: "Unavailable", cause: answer[0] }))
            }
          })
        )
      })

    const allocateId = Effect.sync((): ClientId => Number(node) * 1e8 + ++clients)

    const connect: BackplaneShape["connect"] = (connecting) =>
      Effect.suspend(() => {
        const held = connecting.room === undefined ? [] : [keyOf(connecting.room)]
        delivery.locals.set(connecting.client, { nick: undefined, rooms: new Map(), info: connecting.info })
        delivery.hold(held)
        return transition(Scripts.connect, [
          String(connecting.client),
          connecting.nick ?? "",
          connecting.room ?? "",
          connecting.info === undefined ? "" : JSON.stringify(connecting.info)
        ])
          .pipe(
            Effect.flatMap((outcome): Effect.Effect<Nick, NickTaken> => {
              if (outcome._tag === "Taken") {
                delivery.locals.delete(connecting.client)
                return Queue.offer(inbox, { _tag: "Release", held }).pipe(
                  Effect.zipRight(Effect.fail(new NickTaken({ nick: outcome.nick })))
                )
              }
              const nick = outcome.result as Nick
              const local = delivery.locals.get(connecting.client)
              if (local !== undefined) local.nick = nick
              return Queue.offer(inbox, { _tag: "Answered", events: outcome.events, held, op: outcome.op }).pipe(
                Effect.as(nick)
              )
            }),
            Effect.tapError((error) =>
              error._tag === "BackplaneError"
                ? Effect.sync(() => delivery.locals.delete(connecting.client)).pipe(
                  Effect.zipRight(Queue.offer(inbox, { _tag: "Release", held }))
                )
                : Effect.void
            )
          )
      })

    const disconnect: BackplaneShape["disconnect"] = (client, reason) =>
      Effect.suspend(() => {
        if (dropped.delete(client)) return Effect.void
        return transition(Scripts.disconnect, [String(client), JSON.stringify(encodeReason(reason))]).pipe(
          Effect.flatMap((outcome) =>
            outcome._tag === "Done"
              ? Queue.offer(inbox, { _tag: "Answered", events: outcome.events, held: [], op: outcome.op })
              : Effect.void
          ),
          Effect.ensuring(Effect.sync(() => delivery.locals.delete(client))),
          Effect.asVoid
        )
      })

    const execute: BackplaneShape["execute"] = (client, inputs) =>
      Effect.suspend(() => {
        const held = joinsIn(inputs)
        delivery.hold(held)
        return transition(Scripts.execute, [String(client), JSON.stringify(inputs.map(encodeInput))]).pipe(
          Effect.tapError(() => Queue.offer(inbox, { _tag: "Release", held })),
          Effect.flatMap((outcome) =>
            outcome._tag === "Done"
              ? Queue.offer(inbox, { _tag: "Answered", events: outcome.events, held, op: outcome.op }).pipe(
                Effect.zipRight(Effect.orDie(decodeReason(outcome.result ?? undefined)))
              )
              : Effect.succeed(undefined)
          )
        )
      })

    const tell: BackplaneShape["tell"] = (client, replies, close) =>
      Effect.suspend(() => {
        // Replies name the client's nick (IRC), as this node knows it.
        const nick = delivery.locals.get(client)?.nick
        return Queue.offer(inbox, { _tag: "Direct", events: [new Replied({ client, replies, close, nick }, true)] })
      }).pipe(Effect.asVoid)

    const snapshot: BackplaneShape["snapshot"] = cmd.run(Scripts.snapshot, [prefix]).pipe(
      Effect.map((reply) => {
        const [count, ...rooms] = reply as ReadonlyArray<RedisClient.Reply>
        return {
          clients: Number(count),
          nicks: Number(count),
          rooms: rooms.map((room) => {
            const [roomName, ...members] = (room as ReadonlyArray<RedisClient.Reply>).map(stringOf)
            return { name: roomName as RoomName, members: members as Array<Nick> }
          })
        }
      })
    )

    // -------------------------------------------------------------------------
    // Liveness

    /** Stops acting for every client of this node: each is told and closed; the cluster hears from the reaper. */
    const dropAll = Effect.suspend(() => {
      const events: Array<Event> = []
      for (const [client, local] of delivery.locals) {
        dropped.add(client)
        events.push(
          new Replied({
            client,
            nick: local.nick,
            replies: [{ _tag: "ClusterNotice", what: "NodeLost", room: undefined }],
            close: connectionLost
          }, true)
        )
      }
      delivery.forget()
      return Queue.offer(inbox, { _tag: "Direct", events })
    })

    /** After losing the cluster: the old number retired (its clients leave `(connection lost)`), a new one taken. */
    const comeBack = Effect.gen(function*() {
      yield* cmd.run(Scripts.retire, [
        prefix,
        epoch,
        node,
        "",
        "0",
        String(options.history),
        String(logLength),
        JSON.stringify(encodeReason(connectionLost))
      ])
      const again = (yield* cmd.run(Scripts.register, [prefix, randomUUID(), ""])) as ReadonlyArray<RedisClient.Reply>
      // Redis came back empty meanwhile: the delivery loop starts again in the new epoch (its rooms are forgotten).
      if (stringOf(again[0]) !== epoch) yield* Queue.offer(inbox, { _tag: "Restart", epoch: stringOf(again[0]) })
      epoch = stringOf(again[0])
      node = stringOf(again[1])
      nodes = stringOf(again[2])
      lost = false
      yield* Effect.logWarning(`rejoined cluster ${name} as node ${node} (${nodes} nodes)`)
    })

    /**
     * Redis came back empty: our clients registered again, with their nicks
     * and rooms; their rooms told. The transitions take the new epoch only
     * once the delivery loop has been asked to restart in it, so that their
     * answers reach it after the restart; until then they are refused (not
     * delivered), and a failed attempt is tried again at the next heartbeat.
     */
    const recover = Effect.gen(function*() {
      const again = (yield* cmd.run(Scripts.register, [prefix, randomUUID(), node])) as ReadonlyArray<RedisClient.Reply>
      const fresh = stringOf(again[0])
      const clientsNow = Array.from(delivery.locals, ([id, local]) => ({
        id: String(id),
        nick: local.nick,
        rooms: Array.from(local.rooms.values()),
        ...(local.info === undefined ? {} : { info: local.info })
      })).filter((client) => client.nick !== undefined)
      const answer = (yield* cmd.run(Scripts.reregister, [
        prefix,
        fresh,
        node,
        "",
        String(Date.now() + offset + commandMs),
        String(options.history),
        String(logLength),
        JSON.stringify(clientsNow)
      ])) as ReadonlyArray<RedisClient.Reply>
      const lostIds = Array.isArray(answer[1]) ? (answer[1] as ReadonlyArray<RedisClient.Reply>).map(Number) : []
      yield* Queue.offer(inbox, { _tag: "Restart", epoch: fresh })
      epoch = fresh
      if (lostIds.length > 0) {
        const events = lostIds.map((client) => {
          dropped.add(client)
          const nick = delivery.locals.get(client)?.nick
          delivery.locals.delete(client)
          return new Replied({
            client,
            nick,
            replies: [{ _tag: "ClusterNotice", what: "NodeLost", room: undefined }],
            close: connectionLost
          }, true)
        })
        yield* Queue.offer(inbox, { _tag: "Direct", events })
      }
      yield* Effect.logWarning(`Redis came back empty: registered ${clientsNow.length} clients again`)
    })

    const beat = Effect.suspend(() =>
      cmd.run(Scripts.heartbeat, [
        prefix,
        epoch,
        node,
        String(timeoutMs),
        "0",
        String(options.history),
        String(logLength)
      ])
    ).pipe(
      Effect.flatMap((reply) => {
        const answer = reply as ReadonlyArray<RedisClient.Reply>
        switch (answer[0]) {
          case "ok":
            lastBeat = Date.now()
            nodes = stringOf(answer[1])
            offset = Number(answer[2]) - lastBeat
            return lost ? comeBack : Effect.void
          case "fenced":
            lastBeat = Date.now()
            return Effect.logWarning(`node ${node} was presumed dead: its clients are dropped`).pipe(
              Effect.zipRight(lost ? Effect.void : dropAll),
              Effect.zipRight(Effect.sync(() => {
                lost = true
              })),
              Effect.zipRight(comeBack)
            )
          default:
            lastBeat = Date.now()
            return recover
        }
      }),
      Effect.catchAll((error) =>
        Effect.suspend(() => {
          if (lost || Date.now() - lastBeat <= timeoutMs / 3) return Effect.void
          lost = true
          return Effect.logWarning(
            `Redis unreachable for ${Math.round((Date.now() - lastBeat) / 1000)}s: this node drops its clients`,
            error
          ).pipe(
            Effect.zipRight(dropAll)
          )
        })
      )
    )
    yield* beat.pipe(Effect.repeat(Schedule.spaced(Duration.millis(beatEvery))), Effect.forkScoped)

    // Leaving: whatever clients remain leave `(server shutting down)`, and the node is forgotten.
    yield* Effect.addFinalizer(() =>
      Effect.suspend((): Effect.Effect<unknown, BackplaneError> =>
        lost
          ? Effect.void
          : cmd.run(Scripts.retire, [
            prefix,
            epoch,
            node,
            "",
            "0",
            String(options.history),
            String(logLength),
            JSON.stringify(encodeReason(shuttingDown))
          ])
      ).pipe(Effect.asVoid, Effect.ignore)
    )

    const status = Effect.sync((): ClusterStatus => ({
      name,
      node,
      nodes: Number(nodes),
      reachable: !lost && Date.now() - lastBeat <= timeoutMs / 3
    }))

    const backplane: BackplaneShape = {
      allocateId,
      connect,
      disconnect,
      execute,
      tell,
      subscribe: Effect.map(PubSub.subscribe(out), eventsOf),
      snapshot
    }
    return [backplane, { status }] as const
  })

/** The Redis backplane and the node's cluster status, as layers; fails if Redis cannot be reached. */
export const layer = (options: RedisBackplaneOptions): Layer.Layer<Backplane | Cluster, BackplaneError> =>
  Layer.scopedContext(
    Effect.map(
      make(options),
      ([backplane, cluster]) => Context.make(Backplane, backplane).pipe(Context.add(Cluster, cluster))
    )
  )
