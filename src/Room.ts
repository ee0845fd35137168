/**
 * One room's state, as a pure value: who is in it and its recent history.
 * A room exists while it has members; the hub drops an empty room, and its
 * history with it.
 */
import { Chunk, HashSet } from "effect"
import type { ClientId, RoomName } from "./Domain.js"
import type { Line } from "./Reply.js"

export interface Room {
  /** The name in the case it was created with. */
  readonly name: RoomName
  readonly members: HashSet.HashSet<ClientId>
  /**
   * Recent messages and actions, oldest first, as they were sent. Holds up to
   * twice the history limit, trimmed in one step when it gets there, so
   * recording a line costs O(1) amortised; `recent` reads the last `limit`.
   */
  readonly history: Chunk.Chunk<Line>
}

export const make = (name: RoomName): Room => ({ name, members: HashSet.empty(), history: Chunk.empty() })

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

/** Records a line for newcomers, keeping at least the last `limit` (0 keeps none). */
export const record = (room: Room, line: Line, limit: number): Room => {
  if (limit <= 0) return room
  const appended = Chunk.append(room.history, line)
  return { ...room, history: Chunk.size(appended) > 2 * limit ? Chunk.takeRight(appended, limit) : appended }
}

/** The last `limit` lines, oldest first. */
export const recent = (room: Room, limit: number): ReadonlyArray<Line> =>
  limit <= 0 ? [] : Chunk.toReadonlyArray(Chunk.takeRight(room.history, limit))
