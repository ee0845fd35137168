/**
 * A node's delivery of a cluster's events to its own clients: strictly by
 * each room's number, whichever way an event arrived (the pub/sub wake-up,
 * or the answer to this node's own script), each exactly once.
 *
 * - A room is followed while this node has members in it, from the number
 *   of its first local member's join. An event already delivered is
 *   dropped; one ahead of the next number waits in the room's buffer.
 * - A gap that pub/sub does not fill within a moment is read from the
 *   room's log in Redis (`fill`); what the log no longer has is told to the
 *   room's local members (`EventsMissed`), never hidden.
 * - While one of this node's clients is joining a room, the room is held:
 *   live events wait, so the joiner gets its history before what follows
 *   its join.
 * - The answer to a node's own script is delivered in its order: an event
 *   about the caller itself (its join, leave, rename) is delivered, with
 *   everything before it in its room, before the replies that follow it.
 *
 * Plain mutable maps, touched by one fiber (`RedisBackplane`'s delivery loop).
 */
import { Effect } from "effect"
import type { ClientId, NameKey, Nick, RoomName, UserInfo } from "../../domain/Domain.js"
import { keyOf } from "../../domain/Domain.js"
import type { Event, RoomEvent } from "../../domain/Event.js"
import { Replied } from "../../domain/Event.js"
import type { BackplaneError } from "../Backplane.js"

/** One of this node's clients, as the events so far describe it (to register it again after Redis lost it). */
export interface Local {
  nick: Nick | undefined
  readonly rooms: Map<NameKey, RoomName>
  /** What it said of itself at connect (IRC's `USER`). */
  readonly info?: UserInfo | undefined
}

interface Followed {
  /** The last number delivered. */
  last: number
  /** Events ahead of `last + 1`, by number. */
  readonly ahead: Map<number, RoomEvent>
  /** This node's members of the room. */
  readonly members: Set<ClientId>
}

export interface Delivery {
  readonly locals: Map<ClientId, Local>
  /** Events from the pub/sub of another node (or the reaper); `own`: sent by this node. */
  readonly published: (events: ReadonlyArray<Event>, own: boolean) => Effect.Effect<void, never>
  /** The answer to this node's own script, then the rooms it held released. */
  readonly answered: (events: ReadonlyArray<Event>, held: ReadonlyArray<NameKey>) => Effect.Effect<void, never>
  readonly hold: (rooms: ReadonlyArray<NameKey>) => void
  readonly release: (rooms: ReadonlyArray<NameKey>) => Effect.Effect<void, never>
  /** Fills any gap still open in a room (after the moment pub/sub had to fill it). */
  readonly check: (room: NameKey) => Effect.Effect<void, never>
  /** Every followed room read from its log past what was delivered (after pub/sub reconnected). */
  readonly resync: Effect.Effect<void, never>
  /**
   * Redis lost everything: each followed room starts again from its first
   * number, its local members are told, and what the room's new log already
   * has is delivered.
   */
  readonly restart: Effect.Effect<void, never>
  /** Events to hand to the node as one batch (no room order involved). */
  readonly direct: (events: ReadonlyArray<Event>) => void
  /** This node lost the cluster: its clients and rooms are forgotten. */
  readonly forget: () => void
}

export interface DeliveryOptions {
  /** Where ordered batches go (the node's subscribers). */
  readonly emit: (batch: ReadonlyArray<Event>) => void
  /** Reads a room's log from `from` to `to` (numbers, inclusive). */
  readonly read: (room: NameKey, from: number, to: number) => Effect.Effect<ReadonlyArray<Event>, BackplaneError>
  /** Asks for `check(room)` after a moment. */
  readonly later: (room: NameKey) => void
}

const isRoomEvent = (event: Event): event is RoomEvent =>
  event._tag === "Said" || event._tag === "Acted" || event._tag === "Joined" || event._tag === "Left" ||
  event._tag === "Renamed" || event._tag === "TopicSet"

/** `nick`: the client's, as replies name it (IRC). */
const notice = (
  client: ClientId,
  nick: Nick | undefined,
  what: "HistoryLost" | "EventsMissed",
  room: RoomName
): Replied => new Replied({ client, nick, replies: [{ _tag: "ClusterNotice", what, room }], close: undefined }, true)

export const make = (options: DeliveryOptions): Delivery => {
  const locals = new Map<ClientId, Local>()
  const rooms = new Map<NameKey, Followed>()
  const holds = new Map<NameKey, number>()
  const pendingChecks = new Set<NameKey>()
  let batch: Array<Event> = []

  const flush = (): void => {
    if (batch.length === 0) return
    const out = batch
    batch = []
    options.emit(out)
  }

  /** Delivers one room event in order, keeping who is where up to date. */
  const deliver = (key: NameKey, room: Followed, event: RoomEvent): void => {
    room.last = event.seq
    batch.push(event)
    const local = locals.get(event.client)
    switch (event._tag) {
      case "Joined":
        if (local !== undefined) {
          room.members.add(event.client)
          local.rooms.set(key, event.room)
        }
        return
      case "Left":
        if (room.members.delete(event.client) && room.members.size === 0) rooms.delete(key)
        local?.rooms.delete(key)
        return
      case "Renamed":
        if (local !== undefined) local.nick = event.to
        return
    }
  }

  /** Takes a room event into its room's buffer; false if it is not for this node. */
  const offer = (event: RoomEvent): boolean => {
    const key = keyOf(event.room)
    let room = rooms.get(key)
    if (room === undefined) {
      if (event._tag !== "Joined" || !locals.has(event.client)) return false
      room = { last: event.seq - 1, ahead: new Map(), members: new Set() }
      rooms.set(key, room)
    }
    if (event.seq > room.last) room.ahead.set(event.seq, event)
    return true
  }

  /**
   * Delivers what is in order up to `limit`; answers the number past the
   * first gap at or below `limit` (undefined: none). Synchronous: the common
   * case, an event arriving in order, costs no effect.
   */
  const inOrder = (key: NameKey, limit: number): number | undefined => {
    const room = rooms.get(key)
    if (room === undefined) return undefined
    let next = room.ahead.get(room.last + 1)
    while (next !== undefined && next.seq <= limit) {
      room.ahead.delete(next.seq)
      deliver(key, room, next)
      if (!rooms.has(key)) return undefined
      next = room.ahead.get(room.last + 1)
    }
    if (room.ahead.size === 0) return undefined
    const first = Math.min(...room.ahead.keys())
    return first > limit ? undefined : first
  }

  /**
   * Delivers what is in order; a gap is left a moment for pub/sub to fill,
   * then checked. Events waiting behind a gap are not scanned for it here:
   * in a flood a gap of a moment holds many, and each arrival would scan
   * them all.
   */
  const drainSoon = (key: NameKey): void => {
    const room = rooms.get(key)
    if (room === undefined) return
    let next = room.ahead.get(room.last + 1)
    while (next !== undefined) {
      room.ahead.delete(next.seq)
      deliver(key, room, next)
      if (!rooms.has(key)) return
      next = room.ahead.get(room.last + 1)
    }
    if (room.ahead.size > 0 && !pendingChecks.has(key)) {
      pendingChecks.add(key)
      options.later(key)
    }
  }

  /** Delivers what is in order up to `limit`, filling any gap from the log at once. */
  const drainNow = (key: NameKey, limit: number): Effect.Effect<void> =>
    Effect.gen(function*() {
      // The gap last read from the log, by the number that ends it: read once, then told as missed.
      let readBefore = -1
      for (;;) {
        const first = inOrder(key, limit)
        const room = rooms.get(key)
        if (first === undefined || room === undefined) return
        if (readBefore !== first) {
          readBefore = first
          const found = yield* options.read(key, room.last + 1, first - 1).pipe(
            Effect.orElseSucceed((): ReadonlyArray<Event> => [])
          )
          for (const event of found) {
            if (isRoomEvent(event) && event.seq > room.last && event.seq < first) room.ahead.set(event.seq, event)
          }
        } else {
          // What the log no longer has: said, not hidden.
          for (const member of room.members) {
            batch.push(notice(member, locals.get(member)?.nick, "EventsMissed", room.ahead.get(first)!.room))
          }
          room.last = first - 1
        }
      }
    })

  const held = (key: NameKey): boolean => (holds.get(key) ?? 0) > 0

  const published = (events: ReadonlyArray<Event>, own: boolean) =>
    Effect.sync(() => {
      for (const event of events) {
        if (isRoomEvent(event)) {
          const key = keyOf(event.room)
          if (offer(event) && !held(key)) drainSoon(key)
        } else if (!own) {
          // A whisper: this node's own were delivered from its script's answer.
          batch.push(event)
        }
      }
      flush()
    })

  const release = (keys: ReadonlyArray<NameKey>) =>
    Effect.sync(() => {
      for (const key of keys) {
        const n = (holds.get(key) ?? 1) - 1
        if (n <= 0) holds.delete(key)
        else holds.set(key, n)
      }
      for (const key of keys) if (!held(key)) drainSoon(key)
      flush()
    })

  const answered = (events: ReadonlyArray<Event>, heldRooms: ReadonlyArray<NameKey>) =>
    Effect.gen(function*() {
      const touched = new Set<NameKey>()
      for (const event of events) {
        if (isRoomEvent(event)) {
          if (!offer(event)) continue
          const key = keyOf(event.room)
          touched.add(key)
          // About the caller itself: in place before what follows (its replies, its next room).
          if (locals.has(event.client) && event._tag !== "Said" && event._tag !== "Acted") {
            yield* drainNow(key, event.seq)
          }
        } else {
          // A client in no room hears of its new nick only in its reply.
          if (event._tag === "Replied" && event.nick !== undefined) {
            const local = locals.get(event.client)
            if (local !== undefined) local.nick = event.nick
          }
          batch.push(event)
        }
      }
      for (const key of heldRooms) touched.delete(key)
      for (const key of touched) if (!held(key)) drainSoon(key)
      yield* release(heldRooms)
    })

  const check = (key: NameKey) =>
    Effect.suspend(() => {
      pendingChecks.delete(key)
      return held(key) ? Effect.void : drainNow(key, Number.POSITIVE_INFINITY)
    }).pipe(Effect.zipRight(Effect.sync(flush)))

  const resync = Effect.gen(function*() {
    for (const [key, room] of Array.from(rooms)) {
      const found = yield* options.read(key, room.last + 1, Number.POSITIVE_INFINITY).pipe(
        Effect.orElseSucceed((): ReadonlyArray<Event> => [])
      )
      for (const event of found) if (isRoomEvent(event) && event.seq > room.last) room.ahead.set(event.seq, event)
      if (!held(key)) yield* drainNow(key, Number.POSITIVE_INFINITY)
    }
    flush()
  })

  const restart = Effect.suspend(() => {
    for (const [key, room] of rooms) {
      room.ahead.clear()
      room.last = 0
      let name: RoomName | undefined
      for (const member of room.members) {
        name ??= locals.get(member)?.rooms.get(key)
        if (name !== undefined) batch.push(notice(member, locals.get(member)?.nick, "HistoryLost", name))
      }
    }
    flush()
    return resync
  })

  return {
    locals,
    published,
    answered,
    hold: (keys) => {
      for (const key of keys) holds.set(key, (holds.get(key) ?? 0) + 1)
    },
    release,
    check,
    resync,
    restart,
    direct: (events) => {
      batch.push(...events)
      flush()
    },
    forget: () => {
      locals.clear()
      rooms.clear()
      holds.clear()
    }
  }
}
