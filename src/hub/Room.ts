/**
 * One room's state, as a pure value: who is in it, its recent history, and
 * the number of its last event. A room exists while it has members; the
 * state drops an empty room, and its history and numbering with it.
 */
import { Chunk, HashSet } from "effect"
import type { ClientId, RoomName } from "../domain/Domain.js"
import type { Spoken } from "../domain/Event.js"

export interface Room {
  /** The name in the case it was created with. */
  readonly name: RoomName
  readonly members: HashSet.HashSet<ClientId>
  /**
   * Recent messages and actions, oldest first, as they were sent. Holds up to
   * twice the history limit, trimmed in one step when it gets there, so
   * recording one costs O(1) amortised; `recent` reads the last `limit`.
   */
  readonly history: Chunk.Chunk<Spoken>
  /** The number of the room's last event: the next one is `seq + 1`. */
  readonly seq: number
  /** Set by a member (IRC's `TOPIC`); undefined: none. */
  readonly topic?: string | undefined
  /** Members who are its operators: whoever created it with a claim (IRC's `JOIN`); undefined: none. */
  readonly operators?: HashSet.HashSet<ClientId> | undefined
  /** Its modes as sorted letters (`s`, `t`: see `Command.Mode`); undefined: none. */
  readonly modes?: string | undefined
}

export const make = (name: RoomName): Room => ({ name, members: HashSet.empty(), history: Chunk.empty(), seq: 0 })

export const add = (room: Room, client: ClientId): Room => ({
  ...room,
  members: HashSet.add(room.members, client)
})

export const remove = (room: Room, client: ClientId): Room => ({
  ...room,
  members: HashSet.remove(room.members, client),
  ...(room.operators === undefined ? {} : { operators: HashSet.remove(room.operators, client) })
})

/** Makes a member an operator of the room. */
export const promote = (room: Room, client: ClientId): Room => ({
  ...room,
  operators: HashSet.add(room.operators ?? HashSet.empty(), client)
})

export const isOperator = (room: Room, client: ClientId): boolean =>
  room.operators !== undefined && HashSet.has(room.operators, client)

export const size = (room: Room): number => HashSet.size(room.members)

export const isEmpty = (room: Room): boolean => HashSet.size(room.members) === 0

/** Takes the room's next number. */
export const next = (room: Room): Room => ({ ...room, seq: room.seq + 1 })

/** Records a message for newcomers, keeping at least the last `limit` (0 keeps none). */
export const record = (room: Room, event: Spoken, limit: number): Room => {
  if (limit <= 0) return room
  const appended = Chunk.append(room.history, event)
  return { ...room, history: Chunk.size(appended) > 2 * limit ? Chunk.takeRight(appended, limit) : appended }
}

/** The last `limit` messages, oldest first. */
export const recent = (room: Room, limit: number): ReadonlyArray<Spoken> =>
  limit <= 0 ? [] : Chunk.toReadonlyArray(Chunk.takeRight(room.history, limit))
