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
 */
import type { ClientId, NameKey } from "../domain/Domain.js"
import { keyOf } from "../domain/Domain.js"
import type { Event, Render, Rendered, RoomEvent, Sink } from "../domain/Event.js"
import { isNoticeAboutOthers } from "../domain/Event.js"

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
  readonly deliver: (event: Event) => void
  /**
   * Delivers events in order, as `deliver` would one by one, except that a
   * run of one client's consecutive messages in one room is rendered and
   * written as one: a burst costs each member one write, not one per line.
   */
  readonly deliverAll: (events: ReadonlyArray<Event>) => void
  readonly find: (id: ClientId) => Recipient | undefined
  /** Every client registered here. */
  readonly recipients: () => IterableIterator<Recipient>
  readonly size: () => number
}

export const make = (): Fanout => {
  const clients = new Map<ClientId, Recipient>()
  const rooms = new Map<NameKey, Set<Recipient>>()

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
    const members = rooms.get(room)
    if (members === undefined) return
    const event = events[from] as RoomEvent
    const canWait = isNoticeAboutOthers(event)
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
      if (rendered !== undefined) member.sink.write(rendered.text, rendered.count, canWait)
    }
  }

  const deliver = (event: Event): void => {
    switch (event._tag) {
      case "Said":
      case "Acted":
      case "Renamed":
      case "TopicSet":
        return toRoom(event, keyOf(event.room))
      case "Joined": {
        const room = keyOf(event.room)
        toRoom(event, room)
        const newcomer = clients.get(event.client)
        return newcomer === undefined ? undefined : enter(newcomer, room)
      }
      case "Left": {
        const room = keyOf(event.room)
        const leaver = clients.get(event.client)
        if (leaver !== undefined) leave(leaver, room)
        return toRoom(event, room)
      }
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
        if (event.close !== undefined) client.sink.close(event.close)
      }
    }
  }

  /** Whether `b` may share a write with `a`: one client's messages in one room, back to back. */
  const sameRun = (a: Event, b: Event): boolean =>
    (b._tag === "Said" || b._tag === "Acted") && (a._tag === "Said" || a._tag === "Acted") &&
    a.client === b.client && a.room === b.room

  const deliverAll = (events: ReadonlyArray<Event>): void => {
    let i = 0
    while (i < events.length) {
      const first = events[i]!
      let end = i + 1
      while (end < events.length && sameRun(first, events[end]!)) end++
      if (end - i > 1) toRoomRun(events, i, end, keyOf((first as RoomEvent).room))
      else deliver(first)
      i = end
    }
  }

  const write = (recipient: Recipient, rendered: Rendered): void => {
    if (rendered.count > 0) recipient.sink.write(rendered.text, rendered.count)
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
    deliver,
    deliverAll,
    find: (id) => clients.get(id),
    recipients: () => clients.values(),
    size: () => clients.size
  }
}
