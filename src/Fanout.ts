/**
 * Delivery of the hub's events to the clients that may see them.
 *
 * Each client's position in the event order is its `View`, and what it sees
 * of an event is `Event.seeInto` of that view: the one fold that decides
 * visibility (its room only, never its own messages, room switches at the
 * exact point they happened). What this module adds is which clients to
 * fold an event into: only the members of the event's room, the two ends of
 * a private message, the one client a reply is for. A message in one room
 * costs nothing for the people in the others.
 *
 * Membership here follows each client's own view, moved by its own
 * `Entered`, so it is always the membership at the current point of the
 * order. The hub calls these functions inside its transitions, one at a
 * time; nothing here waits.
 */
import type { ClientId, NameKey } from "./Domain.js"
import type { Event, Sink, View } from "./Event.js"
import * as EventView from "./Event.js"

export interface Fanout {
  /** Registers a client, before the event that welcomes it. */
  readonly add: (id: ClientId, sink: Sink) => void
  /** Forgets a client, after the events about its leaving. */
  readonly remove: (id: ClientId) => void
  readonly deliver: (event: Event) => void
}

interface Recipient {
  view: View
  readonly sink: Sink
}

export const make = (): Fanout => {
  const clients = new Map<ClientId, Recipient>()
  const rooms = new Map<NameKey, Set<Recipient>>()

  const leaveRoom = (recipient: Recipient, room: NameKey | undefined): void => {
    if (room === undefined) return
    const members = rooms.get(room)
    members?.delete(recipient)
    if (members?.size === 0) rooms.delete(room)
  }

  const enterRoom = (recipient: Recipient): void => {
    const room = recipient.view.room
    if (room === undefined) return
    const members = rooms.get(room)
    if (members === undefined) rooms.set(room, new Set([recipient]))
    else members.add(recipient)
  }

  const visit = (recipient: Recipient | undefined, event: Event): void => {
    if (recipient === undefined) return
    const before = recipient.view.room
    recipient.view = EventView.seeInto(recipient.view, event, recipient.sink)
    if (recipient.view.room !== before) {
      leaveRoom(recipient, before)
      enterRoom(recipient)
    }
  }

  const visitRoom = (room: NameKey, event: Event): void => {
    const members = rooms.get(room)
    if (members === undefined) return
    for (const member of members) visit(member, event)
  }

  const deliver = (event: Event): void => {
    switch (event._tag) {
      case "Entered":
        // The newcomer is not among the members yet: it gets its welcome after their notice.
        visitRoom(event.room, event)
        return visit(clients.get(event.client), event)
      case "Departed":
      case "Spoke":
      case "Renamed":
        return visitRoom(event.room, event)
      case "Whispered":
        visit(clients.get(event.to), event)
        return event.from === event.to ? undefined : visit(clients.get(event.from), event)
      case "Replied":
        return visit(clients.get(event.client), event)
      case "ShuttingDown":
        for (const recipient of clients.values()) visit(recipient, event)
    }
  }

  const add = (id: ClientId, sink: Sink): void => {
    clients.set(id, { view: EventView.initialView(id), sink })
  }

  const remove = (id: ClientId): void => {
    const recipient = clients.get(id)
    if (recipient === undefined) return
    clients.delete(id)
    leaveRoom(recipient, recipient.view.room)
  }

  return { add, remove, deliver }
}
