/**
 * A node's delivery of the ordered events to its own clients: only those who
 * may see each one (a room's members, the two ends of a private message, the
 * one client a reply is for), each event rendered once per protocol however
 * many members see it. A message in one room costs nothing for the people
 * in the others, and nothing here waits: a sink takes what it is given.
 *
 * Room membership here follows the events themselves (a client's own
 * `Joined` and `Left`), so it is always the membership at the current point
 * of the order: a newcomer sees exactly what follows its join, a leaver
 * nothing after its leave. Plain mutable structures, owned by the `Hub` and
 * touched by one fiber at a time.
 *
 * Notices about others (arrivals, departures, renames) are gathered per room
 * (`NoticeWindow`) until `flush`, and each member gets them in one write:
 * then, or earlier, just before anything else is written to it. So each
 * client sees each room's events in the room's order, and everything else in
 * the order of the events; only notices of different rooms gathered
 * together may reach it room by room (the protocol promises one order per
 * room, not across rooms).
 */
import type { ClientId, NameKey } from "../domain/Domain.js"
import { keyOf } from "../domain/Domain.js"
import type { Event, Render, Rendered, RoomEvent, Sink } from "../domain/Event.js"
import * as NoticeWindow from "./NoticeWindow.js"

export interface Recipient {
  readonly id: ClientId
  readonly sink: Sink
  readonly render: Render
  /** The rooms it has entered, as the events so far say. */
  readonly rooms: Set<NameKey>
}

export interface Fanout {
  /** Registers a client, before the events that welcome it. */
  readonly add: (id: ClientId, sink: Sink, render: Render) => void
  /** Forgets a client. */
  readonly remove: (id: ClientId) => void
  /** Delivers one event, and writes it at once (with anything gathered before it). */
  readonly deliver: (event: Event) => void
  /**
   * Delivers events in order, as `deliver` would one by one, except that a
   * run of one client's consecutive messages in one room is rendered and
   * written as one (a burst costs each member one write, not one per line),
   * and that arrivals and departures are gathered until `flush`.
   */
  readonly deliverAll: (events: ReadonlyArray<Event>) => void
  /**
   * Notices gathered and not yet written to every member: a room's arrivals
   * and departures wait for `flush`, so that a crowd's notices reach each
   * member in one write (see `NoticeWindow`). Anything else written to a
   * member first gives it what it was due, so its order holds.
   */
  readonly gathered: () => number
  /** Writes every member its share of the notices gathered. */
  readonly flush: () => void
  readonly find: (id: ClientId) => Recipient | undefined
  /** Every client registered here. */
  readonly recipients: () => IterableIterator<Recipient>
  readonly size: () => number
}

export const make = (): Fanout => {
  const clients = new Map<ClientId, Recipient>()
  const rooms = new Map<NameKey, Set<Recipient>>()
  // The rooms with notices gathered and not yet written to everyone.
  const windows = new Map<NameKey, NoticeWindow.NoticeWindow>()
  // Until everything gathered is written: the notices shown once per client
  // (see `Render.oncePerClient`) that each client has been given, by subject.
  const seen = new Map<ClientId, Set<string>>()
  const firstSight = (client: ClientId, event: RoomEvent): boolean => {
    const key = event._tag === "Renamed" ? `${event.client} ${event.to}` : `${event.client}`
    let keys = seen.get(client)
    if (keys === undefined) {
      keys = new Set()
      seen.set(client, keys)
    }
    if (keys.has(key)) return false
    keys.add(key)
    return true
  }

  /** Hands `recipient` its share of `window`, if it has one. */
  const giveShare = (window: NoticeWindow.NoticeWindow, recipient: Recipient): void => {
    const share = window.take(recipient.id, recipient.render, firstSight)
    if (share !== undefined) recipient.sink.write(share.text, share.count, true)
  }

  /** Before anything else is written to `recipient`: the notices gathered for it so far, so its order holds. */
  const catchUp = (recipient: Recipient): void => {
    if (windows.size === 0) return
    for (const room of recipient.rooms) {
      const window = windows.get(room)
      if (window !== undefined) giveShare(window, recipient)
    }
  }

  /** Gives every member of `room` its share of the room's window, and closes it. */
  const closeWindow = (room: NameKey): void => {
    const window = windows.get(room)
    if (window === undefined) return
    windows.delete(room)
    const members = rooms.get(room)
    if (members !== undefined) { for (const member of members) giveShare(window, member) }
  }

  /**
   * Gathers a notice about `subject` (it came in, left, or changed its nick):
   * the subject never sees its own, and the others see it in their share.
   * Its membership changes with the notice: a leaver is first given what it
   * was due.
   */
  const gather = (
    event: RoomEvent,
    room: NameKey,
    subject: Recipient | undefined,
    change: "enters" | "leaves" | "stays"
  ) => {
    let window = windows.get(room)
    if (window === undefined) {
      window = NoticeWindow.make()
      windows.set(room, window)
    }
    if (subject !== undefined && change !== "enters" && subject.rooms.has(room)) giveShare(window, subject)
    if (subject !== undefined && change === "leaves") leave(subject, room)
    window.add(event)
    if (subject !== undefined && change === "enters") enter(subject, room)
    if (subject !== undefined && change !== "leaves") window.skip(subject.id)
  }

  const enter = (recipient: Recipient, room: NameKey): void => {
    recipient.rooms.add(room)
    const members = rooms.get(room)
    if (members === undefined) rooms.set(room, new Set([recipient]))
    else members.add(recipient)
  }

  const leave = (recipient: Recipient, room: NameKey): void => {
    recipient.rooms.delete(room)
    const members = rooms.get(room)
    members?.delete(recipient)
    if (members?.size === 0) rooms.delete(room)
  }

  /** Writes a room event to its members but the one it is about, rendered once per protocol. */
  const toRoom = (event: RoomEvent, room: NameKey): void => toRoomRun([event], 0, 1, room)

  /**
   * Writes `events[from..to)`, room events about one client in one room, to
   * the room's other members: each protocol renders the run once, and each
   * member gets it in one write.
   */
  const renderRun = (render: Render, events: ReadonlyArray<Event>, from: number, to: number): Rendered | undefined => {
    if (to - from === 1) return render.roomEvent(events[from] as RoomEvent)
    let text = ""
    let count = 0
    for (let i = from; i < to; i++) {
      const rendered = render.roomEvent(events[i] as RoomEvent)
      if (rendered === undefined) continue
      text += rendered.text
      count += rendered.count
    }
    return count === 0 ? undefined : { text, count }
  }

  const toRoomRun = (events: ReadonlyArray<Event>, from: number, to: number, room: NameKey): void => {
    closeWindow(room)
    const members = rooms.get(room)
    if (members === undefined) return
    const event = events[from] as RoomEvent
    // Nearly always one protocol per room; a second one renders on a miss.
    let lastRender: Render | undefined
    let last: Rendered | undefined
    let others: Map<Render, Rendered | undefined> | undefined
    for (const member of members) {
      if (member.id === event.client) continue
      let rendered: Rendered | undefined
      if (member.render === lastRender) {
        rendered = last
      } else if (lastRender === undefined) {
        lastRender = member.render
        rendered = last = renderRun(member.render, events, from, to)
      } else {
        others ??= new Map()
        if (others.has(member.render)) {
          rendered = others.get(member.render)
        } else {
          rendered = renderRun(member.render, events, from, to)
          others.set(member.render, rendered)
        }
      }
      if (rendered === undefined) continue
      catchUp(member)
      // A message does not wait for company (notices do: `giveShare`).
      member.sink.write(rendered.text, rendered.count, false)
    }
  }

  const deliverOne = (event: Event): void => {
    switch (event._tag) {
      case "Said":
      case "Acted":
      case "TopicSet":
        return toRoom(event, keyOf(event.room))
      case "Joined":
        return gather(event, keyOf(event.room), clients.get(event.client), "enters")
      case "Renamed":
        return gather(event, keyOf(event.room), clients.get(event.client), "stays")
      case "Left":
        return gather(event, keyOf(event.room), clients.get(event.client), "leaves")
      case "Whispered": {
        const to = clients.get(event.to)
        if (to !== undefined) write(to, to.render.whisper(event, "received"))
        const from = clients.get(event.from)
        if (from !== undefined) write(from, from.render.whisper(event, "sent"))
        return
      }
      case "Replied": {
        const client = clients.get(event.client)
        if (client === undefined) return
        if (event.replies.length > 0) write(client, client.render.replies(event.replies, event.nick))
        if (event.close !== undefined) {
          catchUp(client)
          client.sink.close(event.close)
        }
      }
    }
  }

  /** Whether `b` may share a write with `a`: one client's messages in one room, back to back. */
  const sameRun = (a: Event, b: Event): boolean =>
    (b._tag === "Said" || b._tag === "Acted") && (a._tag === "Said" || a._tag === "Acted") &&
    a.client === b.client && a.room === b.room

  const flush = (): void => {
    for (const room of Array.from(windows.keys())) closeWindow(room)
    seen.clear()
  }

  const deliverAll = (events: ReadonlyArray<Event>): void => {
    let i = 0
    while (i < events.length) {
      const first = events[i]!
      let end = i + 1
      while (end < events.length && sameRun(first, events[end]!)) end++
      if (end - i > 1) toRoomRun(events, i, end, keyOf((first as RoomEvent).room))
      else deliverOne(first)
      i = end
    }
  }

  const write = (recipient: Recipient, rendered: Rendered): void => {
    if (rendered.count === 0) return
    catchUp(recipient)
    recipient.sink.write(rendered.text, rendered.count)
  }

  const add = (id: ClientId, sink: Sink, render: Render): void => {
    clients.set(id, { id, sink, render, rooms: new Set() })
  }

  const remove = (id: ClientId): void => {
    const recipient = clients.get(id)
    if (recipient === undefined) return
    clients.delete(id)
    for (const room of recipient.rooms) leave(recipient, room)
  }

  return {
    add,
    remove,
    deliver: (event) => {
      deliverAll([event])
      flush()
    },
    deliverAll,
    gathered: () => {
      let notices = 0
      for (const window of windows.values()) notices += window.size()
      return notices
    },
    flush,
    find: (id) => clients.get(id),
    recipients: () => clients.values(),
    size: () => clients.size
  }
}
