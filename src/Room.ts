/**
 * One room's state, as a pure value: who is in it and its recent history.
 * A room exists while it has members; the hub drops an empty room, and its
 * history with it.
 */
import { HashSet } from "effect"
import type { ClientId, RoomName } from "./Domain.js"
import type { Line } from "./Reply.js"

export interface Room {
  /** The name in the case it was created with. */
  readonly name: RoomName
  readonly members: HashSet.HashSet<ClientId>
  /** The last messages and actions, oldest first, as they were sent. */
  readonly history: ReadonlyArray<Line>
}

export const make = (name: RoomName): Room => ({ name, members: HashSet.empty(), history: [] })

export const add = (room: Room, client: ClientId): Room => ({
  ...room,
  members: HashSet.add(room.members, client)
})

export const remove = (room: Room, client: ClientId): Room => ({
  ...room,
  members: HashSet.remove(room.members, client)
})

export const size = (room: Room): number => HashSet.size(room.members)

export const isEmpty = (room: Room): boolean => HashSet.size(room.members) === 0

/** Appends a line to the history, keeping only the last `limit` (0 keeps none). */
export const record = (room: Room, line: Line, limit: number): Room => {
  if (limit <= 0) return room
  const kept = room.history.length >= limit ? room.history.slice(room.history.length - limit + 1) : room.history
  return { ...room, history: [...kept, line] }
}
