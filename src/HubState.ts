/**
 * The hub's shared state and its transitions, all pure. Each transition
 * returns the next state and the events to publish; the `Hub` service applies
 * them atomically, so the state and the event order never disagree.
 */
import { Either, HashMap, Option } from "effect"
import type { ClientId, DisconnectReason, NameKey, Nick, RoomName, UserError } from "./Domain.js"
import { AlreadyInRoom, guestNick, guestNumber, keyOf, lobby, NickTaken, NoSuchNick } from "./Domain.js"
import type { Command } from "./Command.js"
import type { Event } from "./Event.js"
import * as Reply from "./Reply.js"
import * as Room from "./Room.js"

export interface Client {
  readonly id: ClientId
  readonly nick: Nick
  readonly room: NameKey
}

export interface HubState {
  readonly clients: HashMap.HashMap<ClientId, Client>
  readonly nicks: HashMap.HashMap<NameKey, ClientId>
  readonly rooms: HashMap.HashMap<NameKey, Room.Room>
  readonly nextId: ClientId
  /**
   * Every `guest-N` below this is in use, so the lowest free guest nick is
   * found from here: connecting stays O(1) amortised, not O(clients).
   */
  readonly guestFloor: number
  readonly shuttingDown: boolean
  readonly limits: Limits
}

export interface Limits {
  /** Messages and actions kept per room for newcomers (0: none). */
  readonly history: number
}

export const make = (limits: Limits): HubState => ({
  clients: HashMap.empty(),
  nicks: HashMap.empty(),
  rooms: HashMap.empty(),
  nextId: 1,
  guestFloor: 1,
  shuttingDown: false,
  limits
})

/** No one connected, with the default history of 50. */
export const empty: HubState = make({ history: 50 })

export interface Transition<A = void> {
  readonly state: HubState
  readonly events: ReadonlyArray<Event>
  readonly result: A
}

const transition = <A>(state: HubState, events: ReadonlyArray<Event>, result: A): Transition<A> => ({
  state,
  events,
  result
})

const reply = (client: ClientId, lines: ReadonlyArray<Reply.Line>, close?: DisconnectReason): Event => ({
  _tag: "Replied",
  client,
  text: lines.join(""),
  count: lines.length,
  close
})

// ---------------------------------------------------------------------------
// Reading

const roomOf = (state: HubState, client: Client): Room.Room =>
  // A client's room exists while the client is in it: the transitions keep it so.
  Option.getOrThrow(HashMap.get(state.rooms, client.room))

/** Members' nicks, sorted by lower-cased name in plain character order. */
const memberNicks = (state: HubState, room: Room.Room): Array<Nick> => {
  const nicks: Array<Nick> = []
  for (const id of room.members) {
    const member = HashMap.get(state.clients, id)
    if (Option.isSome(member)) nicks.push(member.value.nick)
  }
  return nicks.sort(byLowerCase)
}

const byLowerCase = (a: string, b: string): number => {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}

// ---------------------------------------------------------------------------
// Nicks

const freeNick = (state: HubState, key: NameKey): HubState => {
  const n = guestNumber(key)
  return {
    ...state,
    nicks: HashMap.remove(state.nicks, key),
    guestFloor: n !== undefined && n < state.guestFloor ? n : state.guestFloor
  }
}

const lowestGuest = (state: HubState): number => {
  let n = state.guestFloor
  while (HashMap.has(state.nicks, keyOf(guestNick(n)))) n++
  return n
}

// ---------------------------------------------------------------------------
// Rooms

const enterRoom = (state: HubState, client: Client, name: RoomName): HubState => {
  const key = keyOf(name)
  const room = Option.getOrElse(HashMap.get(state.rooms, key), () => Room.make(name))
  return {
    ...state,
    rooms: HashMap.set(state.rooms, key, Room.add(room, client.id)),
    clients: HashMap.set(state.clients, client.id, { ...client, room: key })
  }
}

const leaveRoom = (state: HubState, client: Client): HubState => {
  const room = Room.remove(roomOf(state, client), client.id)
  return {
    ...state,
    rooms: Room.isEmpty(room) ? HashMap.remove(state.rooms, client.room) : HashMap.set(state.rooms, client.room, room)
  }
}

// ---------------------------------------------------------------------------
// Connecting and disconnecting

/**
 * A new connection: the lowest free `guest-N`, in `#lobby`. The client's own
 * `Entered` carries its welcome and the lobby's history.
 */
export const connect = (state: HubState): Transition<ClientId> => {
  const id = state.nextId
  if (state.shuttingDown) {
    const closing: DisconnectReason = { _tag: "ShuttingDown" }
    return transition({ ...state, nextId: id + 1 }, [reply(id, [Reply.shuttingDown], closing)], id)
  }
  const n = lowestGuest(state)
  const nick = guestNick(n)
  const client: Client = { id, nick, room: keyOf(lobby) }
  const named: HubState = {
    ...state,
    nextId: id + 1,
    guestFloor: n + 1,
    nicks: HashMap.set(state.nicks, keyOf(nick), id)
  }
  const next = enterRoom(named, client, lobby)
  const room = roomOf(next, client)
  const event: Event = {
    _tag: "Entered",
    client: id,
    room: client.room,
    notice: Reply.memberJoined(nick, room.name),
    welcome: [Reply.welcome(nick, room.name, Room.size(room)), Reply.helpHint, ...Room.recent(room, state.limits.history)]
  }
  return transition(next, [event], id)
}

/** The client is gone; its room hears why, unless the server is shutting down. */
export const disconnect = (state: HubState, id: ClientId, reason: DisconnectReason): Transition => {
  const found = HashMap.get(state.clients, id)
  if (Option.isNone(found)) return transition(state, [], undefined)
  const client = found.value
  const room = roomOf(state, client)
  const next = leaveRoom(freeNick({ ...state, clients: HashMap.remove(state.clients, id) }, keyOf(client.nick)), client)
  const silent = state.shuttingDown || reason._tag === "ShuttingDown"
  const events: Array<Event> = silent ? [] : [{
    _tag: "Departed",
    client: id,
    room: client.room,
    notice: Reply.memberLeft(client.nick, room.name, Reply.leaveReason(reason))
  }]
  return transition(next, events, undefined)
}

/** From now on nobody gets leave notices, and every client is told to go. */
export const shutdown = (state: HubState): Transition => {
  if (state.shuttingDown) return transition(state, [], undefined)
  return transition({ ...state, shuttingDown: true }, [{
    _tag: "ShuttingDown",
    notice: Reply.shuttingDown,
    reason: { _tag: "ShuttingDown" }
  }], undefined)
}

/** Lines for one client, ordered with everything else it sees. */
export const tell = (
  state: HubState,
  id: ClientId,
  lines: ReadonlyArray<Reply.Line>,
  close?: DisconnectReason
): Transition => transition(state, [reply(id, lines, close)], undefined)

// ---------------------------------------------------------------------------
// Commands

export type CommandError = NickTaken | NoSuchNick | AlreadyInRoom

/**
 * Applies one command of a connected client. A user's mistake is a typed
 * error; the hub renders it as a `!` line to that client alone.
 */
export const apply = (
  state: HubState,
  id: ClientId,
  command: Command
): Either.Either<Transition, CommandError> => {
  const found = HashMap.get(state.clients, id)
  // A command can race the client's own disconnect; it then has no effect.
  if (Option.isNone(found)) return Either.right(transition(state, [], undefined))
  const client = found.value
  switch (command._tag) {
    case "Say":
      return Either.right(speak(state, client, Reply.roomMessage(client.nick, command.text)))
    case "Act":
      return Either.right(speak(state, client, Reply.action(client.nick, command.text)))
    case "Rename":
      return rename(state, client, command.nick)
    case "Join":
      return join(state, client, command.room)
    case "ListRooms": {
      const rooms = Array.from(HashMap.values(state.rooms))
        .sort((a, b) => byLowerCase(a.name, b.name))
        .map((room) => [room.name, Room.size(room)] as const)
      return Either.right(transition(state, [reply(id, [Reply.roomList(rooms)])], undefined))
    }
    case "Who": {
      const room = roomOf(state, client)
      return Either.right(transition(state, [reply(id, [Reply.whoList(room.name, memberNicks(state, room))])], undefined))
    }
    case "Whisper":
      return whisper(state, client, command.to, command.text)
    case "Quit":
      return Either.right(tell(state, id, [Reply.bye], { _tag: "Quit", message: command.message }))
    case "Help":
      return Either.right(tell(state, id, Reply.help))
  }
}

const speak = (state: HubState, client: Client, line: Reply.Line): Transition => {
  const room = Room.record(roomOf(state, client), line, state.limits.history)
  return transition(
    { ...state, rooms: HashMap.set(state.rooms, client.room, room) },
    [{ _tag: "Spoke", client: client.id, room: client.room, line, count: 1 }],
    undefined
  )
}

const rename = (state: HubState, client: Client, nick: Nick): Either.Either<Transition, NickTaken> => {
  const key = keyOf(nick)
  const owner = HashMap.get(state.nicks, key)
  if (Option.isSome(owner) && owner.value !== client.id) {
    // The error names the nick as its owner spelled it.
    const taken = HashMap.get(state.clients, owner.value).pipe(Option.map((other) => other.nick), Option.getOrElse(() => nick))
    return Either.left(new NickTaken({ nick: taken }))
  }
  if (nick === client.nick) return Either.right(tell(state, client.id, [Reply.youAreNow(nick)]))
  const freed = freeNick(state, keyOf(client.nick))
  const next: HubState = {
    ...freed,
    nicks: HashMap.set(freed.nicks, key, client.id),
    clients: HashMap.set(freed.clients, client.id, { ...client, nick })
  }
  return Either.right(transition(next, [{
    _tag: "Renamed",
    client: client.id,
    room: client.room,
    notice: Reply.renamed(client.nick, nick),
    reply: Reply.youAreNow(nick)
  }], undefined))
}

const join = (state: HubState, client: Client, name: RoomName): Either.Either<Transition, AlreadyInRoom> => {
  const from = roomOf(state, client)
  if (keyOf(name) === client.room) return Either.left(new AlreadyInRoom({ room: from.name }))
  const next = enterRoom(leaveRoom(state, client), client, name)
  const moved = Option.getOrThrow(HashMap.get(next.clients, client.id))
  const to = roomOf(next, moved)
  return Either.right(transition(next, [
    {
      _tag: "Departed",
      client: client.id,
      room: client.room,
      notice: Reply.memberLeft(client.nick, from.name, Reply.movedTo(to.name))
    },
    {
      _tag: "Entered",
      client: client.id,
      room: moved.room,
      notice: Reply.memberJoined(client.nick, to.name),
      welcome: [Reply.joinedRoom(to.name, memberNicks(next, to)), ...Room.recent(to, state.limits.history)]
    }
  ], undefined))
}

const whisper = (
  state: HubState,
  client: Client,
  to: string,
  text: string
): Either.Either<Transition, NoSuchNick> => {
  const target = HashMap.get(state.nicks, to.toLowerCase() as NameKey).pipe(
    Option.flatMap((id) => HashMap.get(state.clients, id))
  )
  if (Option.isNone(target)) return Either.left(new NoSuchNick({ nick: to }))
  return Either.right(transition(state, [{
    _tag: "Whispered",
    from: client.id,
    to: target.value.id,
    received: Reply.privateReceived(client.nick, text),
    sent: Reply.privateSent(target.value.nick, text)
  }], undefined))
}

/** A line as the connection read it: a command, or the user's mistake. */
export type Input = Either.Either<Command, UserError>

/**
 * Applies a batch of one client's lines, in order, as one transition; stops
 * after `/quit`, whose reason is then the result. Consecutive messages of the
 * client become one event, and so do consecutive replies to it, so a burst
 * costs each recipient one event, not one per line.
 */
export const applyAll = (
  state: HubState,
  id: ClientId,
  inputs: ReadonlyArray<Input>
): Transition<DisconnectReason | undefined> => {
  let current = state
  const events: Array<Event> = []
  for (const input of inputs) {
    const step = Either.isLeft(input)
      ? tell(current, id, [Reply.userError(input.left)])
      : Either.getOrElse(apply(current, id, input.right), (error) => tell(current, id, [Reply.userError(error)]))
    current = step.state
    for (const event of step.events) appendMerged(events, event)
    if (Either.isRight(input) && input.right._tag === "Quit") {
      return transition(current, events, { _tag: "Quit", message: input.right.message })
    }
  }
  return transition(current, events, undefined)
}

const appendMerged = (events: Array<Event>, event: Event): void => {
  const last = events[events.length - 1]
  if (last?._tag === "Spoke" && event._tag === "Spoke" && last.client === event.client && last.room === event.room) {
    events[events.length - 1] = { ...last, line: last.line + event.line, count: last.count + event.count }
  } else if (
    last?._tag === "Replied" && event._tag === "Replied" && last.client === event.client && last.close === undefined
  ) {
    events[events.length - 1] = { ...last, text: last.text + event.text, count: last.count + event.count, close: event.close }
  } else {
    events.push(event)
  }
}

// ---------------------------------------------------------------------------
// Observing

/** A plain picture of the state, for tests, leak checks and operators. */
export interface Snapshot {
  readonly clients: number
  readonly nicks: number
  readonly rooms: ReadonlyArray<{ readonly name: RoomName; readonly members: ReadonlyArray<Nick> }>
  readonly shuttingDown: boolean
}

export const snapshot = (state: HubState): Snapshot => ({
  clients: HashMap.size(state.clients),
  nicks: HashMap.size(state.nicks),
  rooms: Array.from(HashMap.values(state.rooms))
    .sort((a, b) => byLowerCase(a.name, b.name))
    .map((room) => ({ name: room.name, members: memberNicks(state, room) })),
  shuttingDown: state.shuttingDown
})
