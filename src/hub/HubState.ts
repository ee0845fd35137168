/**
 * The chat's shared state and its transitions, all pure: who is connected
 * under which nick, who is in which rooms, each room's history and the
 * number of its last event. Each transition returns the next state and the
 * events it produced, numbered in their rooms; a backplane applies it
 * atomically, so the state and the order of events never disagree.
 *
 * A client is in zero or more rooms. The line protocol keeps its rules (one
 * room at a time, `Join` with `alone`); IRC uses several.
 */
import { Either, HashMap, HashSet, Option } from "effect"
import type { Command, Input } from "../domain/Command.js"
import type {
  Batch,
  ClientId,
  DisconnectReason,
  LeaveReason,
  NameKey,
  Nick,
  RoomName,
  UserError,
  UserInfo,
  WhoFormat
} from "../domain/Domain.js"
import { AlreadyInRoom, guestNick, guestNumber, keyOf, NickTaken, NoSuchNick, NotInRoom } from "../domain/Domain.js"
import type { Event, Reply, RoomEvent } from "../domain/Event.js"
import { Acted, Joined, Left, Renamed, Replied, Said, TopicSet, Whispered } from "../domain/Event.js"
import { matches, maxWhoMatches } from "../domain/Mask.js"
import * as Room from "./Room.js"

export interface Client {
  readonly id: ClientId
  readonly nick: Nick
  /** The rooms the client is in, in the order it entered them. */
  readonly rooms: ReadonlyArray<NameKey>
  /** What it said of itself, if anything (IRC's `USER`). */
  readonly info?: UserInfo | undefined
  /** Its away message, while it is away (IRC's `AWAY`). */
  readonly away?: string | undefined
  /** An IRC operator (`Oper`). */
  readonly oper?: boolean | undefined
  /** Invisible (mode `i`): a `WhoMask` finds it only for who shares a room with it. */
  readonly invisible?: boolean | undefined
}

export interface HubState {
  readonly clients: HashMap.HashMap<ClientId, Client>
  readonly nicks: HashMap.HashMap<NameKey, ClientId>
  readonly rooms: HashMap.HashMap<NameKey, Room.Room>
  /**
   * Every `guest-N` below this is in use, so the lowest free guest nick is
   * found from here: connecting stays O(1) amortised, not O(clients).
   */
  readonly guestFloor: number
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
  guestFloor: 1,
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

// Events are built from facts the state has just checked, so their Schema
// validation is skipped on this path (`true`).
const replied = (client: ClientId, replies: ReadonlyArray<Reply>, close?: DisconnectReason, nick?: Nick): Replied =>
  new Replied({ client, replies, close, nick }, true)

/** The client's nick now, for the replies that name it. */
const nickOf = (state: HubState, id: ClientId): Nick | undefined =>
  Option.getOrUndefined(Option.map(HashMap.get(state.clients, id), (client) => client.nick))

/** Clients connected and rooms with someone in them. */
const users = (state: HubState) => ({ clients: HashMap.size(state.clients), rooms: HashMap.size(state.rooms) })

// ---------------------------------------------------------------------------
// Reading

const roomAt = (state: HubState, key: NameKey): Room.Room =>
  // A client's rooms exist while the client is in them: the transitions keep it so.
  Option.getOrThrow(HashMap.get(state.rooms, key))

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

/**
 * The room's operators, sorted as members are; undefined: none (so replies
 * leave the field out). Reads the operators only (a few), not every member.
 */
const operatorNicks = (state: HubState, room: Room.Room): Array<Nick> | undefined => {
  if (room.operators === undefined) return undefined
  const nicks: Array<Nick> = []
  for (const id of room.operators) {
    const member = HashMap.get(state.clients, id)
    if (Option.isSome(member)) nicks.push(member.value.nick)
  }
  return nicks.length === 0 ? undefined : nicks.sort(byLowerCase)
}

/** The room a command without a room is about: the client's only one. */
const onlyRoom = (client: Client): Either.Either<NameKey, NotInRoom> =>
  client.rooms.length === 1 ? Either.right(client.rooms[0]!) : Either.left(new NotInRoom({ room: undefined }))

/** `room` if given and the client is in it, else its only room. */
const targetRoom = (client: Client, room: RoomName | undefined): Either.Either<NameKey, NotInRoom> => {
  if (room === undefined) return onlyRoom(client)
  const key = keyOf(room)
  return client.rooms.includes(key) ? Either.right(key) : Either.left(new NotInRoom({ room }))
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

/** The nick's owner, as its owner spells it, if it is not `self`. */
const takenBy = (state: HubState, nick: Nick, self: ClientId): Option.Option<Nick> =>
  HashMap.get(state.nicks, keyOf(nick)).pipe(
    Option.filter((owner) => owner !== self),
    Option.map((owner) =>
      HashMap.get(state.clients, owner).pipe(Option.map((other) => other.nick), Option.getOrElse(() => nick))
    )
  )

// ---------------------------------------------------------------------------
// Rooms

/**
 * Runs `make` with the next number of room `key` and records the event in
 * the room; a room message also goes into its history.
 */
const numbered = <E extends RoomEvent>(
  state: HubState,
  key: NameKey,
  make: (seq: number, room: RoomName) => E
): readonly [HubState, E] => {
  const room = Room.next(roomAt(state, key))
  const event = make(room.seq, room.name)
  const recorded = event._tag === "Said" || event._tag === "Acted"
    ? Room.record(room, event, state.limits.history)
    : room
  return [{ ...state, rooms: HashMap.set(state.rooms, key, recorded) }, event]
}

const enterRoom = (
  state: HubState,
  client: Client,
  name: RoomName,
  claim?: boolean
): readonly [HubState, Client, Joined] => {
  const key = keyOf(name)
  // Whoever creates a room with a claim is its operator.
  const room = Option.getOrElse(
    HashMap.get(state.rooms, key),
    () => claim === true ? Room.promote(Room.make(name), client.id) : Room.make(name)
  )
  const moved: Client = { ...client, rooms: [...client.rooms, key] }
  const entered: HubState = {
    ...state,
    rooms: HashMap.set(state.rooms, key, Room.add(room, client.id)),
    clients: HashMap.set(state.clients, client.id, moved)
  }
  const [next, joined] = numbered(
    entered,
    key,
    (seq, room) => new Joined({ client: client.id, nick: client.nick, room, seq }, true)
  )
  return [next, moved, joined]
}

const leaveRoom = (
  state: HubState,
  client: Client,
  key: NameKey,
  reason: LeaveReason
): readonly [HubState, Client, Left] => {
  const [numberedState, left] = numbered(
    state,
    key,
    (seq, room) => new Left({ client: client.id, nick: client.nick, room, seq, reason }, true)
  )
  const room = Room.remove(roomAt(numberedState, key), client.id)
  const moved: Client = { ...client, rooms: client.rooms.filter((r) => r !== key) }
  return [
    {
      ...numberedState,
      rooms: Room.isEmpty(room)
        ? HashMap.remove(numberedState.rooms, key)
        : HashMap.set(numberedState.rooms, key, room),
      clients: HashMap.set(numberedState.clients, client.id, moved)
    },
    moved,
    left
  ]
}

// ---------------------------------------------------------------------------
// Connecting and disconnecting

export interface ConnectOptions {
  /** The nick asked for (IRC's registration); undefined: the lowest free `guest-N`. */
  readonly nick?: Nick | undefined
  /** The room to start in (the line protocol's `#lobby`), or none. */
  readonly room?: RoomName | undefined
  /** What the client says of itself (IRC's `USER`). */
  readonly info?: UserInfo | undefined
}

/**
 * A new client `id`. Its room, if any, hears it joined; the client gets its
 * welcome and the room's history. Fails if the nick asked for is taken.
 */
export const connect = (
  state: HubState,
  id: ClientId,
  options: ConnectOptions = {}
): Either.Either<Transition<Nick>, NickTaken> => {
  if (options.nick !== undefined) {
    const taken = takenBy(state, options.nick, id)
    if (Option.isSome(taken)) return Either.left(new NickTaken({ nick: taken.value }))
  }
  const guest = options.nick === undefined ? lowestGuest(state) : undefined
  const nick = options.nick ?? guestNick(guest!)
  const client: Client = { id, nick, rooms: [], info: options.info }
  const named: HubState = {
    ...state,
    guestFloor: guest === undefined ? state.guestFloor : guest + 1,
    nicks: HashMap.set(state.nicks, keyOf(nick), id),
    clients: HashMap.set(state.clients, id, client)
  }
  if (options.room === undefined) {
    const registered: Reply = { _tag: "Registered", nick, users: users(named) }
    return Either.right(transition(named, [replied(id, [registered], undefined, nick)], nick))
  }
  const history = Option.match(HashMap.get(state.rooms, keyOf(options.room)), {
    onNone: () => [],
    onSome: (room) => Room.recent(room, state.limits.history)
  })
  const [next, , joined] = enterRoom(named, client, options.room)
  const room = roomAt(next, keyOf(options.room))
  const welcome: Reply = { _tag: "Welcome", nick, room: room.name, here: Room.size(room), history }
  return Either.right(transition(next, [joined, replied(id, [welcome], undefined, nick)], nick))
}

/** The client is gone; each of its rooms hears why. */
export const disconnect = (state: HubState, id: ClientId, reason: DisconnectReason): Transition => {
  const found = HashMap.get(state.clients, id)
  if (Option.isNone(found)) return transition(state, [], undefined)
  let client = found.value
  let current = state
  const events: Array<Event> = []
  for (const key of client.rooms) {
    const [next, moved, left] = leaveRoom(current, client, key, reason)
    current = next
    client = moved
    events.push(left)
  }
  const gone = freeNick({ ...current, clients: HashMap.remove(current.clients, id) }, keyOf(client.nick))
  return transition(gone, events, undefined)
}

/** Replies for one client, ordered with everything else it sees. */
export const tell = (
  state: HubState,
  id: ClientId,
  replies: ReadonlyArray<Reply>,
  close?: DisconnectReason
): Transition => transition(state, [replied(id, replies, close, nickOf(state, id))], undefined)

// ---------------------------------------------------------------------------
// Commands

export type CommandError = NickTaken | NoSuchNick | AlreadyInRoom | NotInRoom

/**
 * Applies one command of a connected client. A user's mistake is a typed
 * error; the caller turns it into a reply to that client alone.
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
    case "Act":
      return Either.map(targetRoom(client, command.room), (key) => speak(state, client, key, command))
    case "Rename":
      return rename(state, client, command.nick)
    case "Join":
      return join(state, client, command.room, command.alone, command.claim)
    case "Part":
      return part(state, client, command.room, command.message)
    case "ListRooms":
    case "ListFiltered": {
      const rooms = Array.from(HashMap.values(state.rooms))
        // A secret room is listed to its members only.
        .filter((room) => !isSecret(room) || HashSet.has(room.members, id))
        .sort((a, b) => byLowerCase(a.name, b.name))
        .map((room) => ({ room: room.name, members: Room.size(room) }))
      return Either.right(
        tell(state, id, [{
          _tag: "RoomList",
          rooms,
          ...(command._tag === "ListFiltered" ? { filter: command.filter } : {})
        }])
      )
    }
    case "Who":
      return who(state, client, command.room, command.full, {
        ...formatOf(command),
        ...(command.batch === undefined ? {} : { batch: command.batch })
      })
    case "Whisper":
      return whisper(state, client, command.to, command.text)
    case "Quit":
      return Either.right(tell(state, id, [{ _tag: "Bye" }], { _tag: "Quit", message: command.message }))
    case "Help":
      return Either.right(tell(state, id, [{ _tag: "Help" }]))
    case "Ping":
      return Either.right(tell(state, id, [{ _tag: "Pong", token: command.token }]))
    case "Whois":
      return whois(state, client, command.nick, command.brief, formatOf(command))
    case "Topic":
      return topic(state, client, command.room, command.text)
    case "Away": {
      const marked: Client = { ...client, away: command.message }
      const next: HubState = { ...state, clients: HashMap.set(state.clients, id, marked) }
      return Either.right(tell(next, id, [{ _tag: "AwaySet", away: command.message !== undefined }]))
    }
    case "Lusers":
      return Either.right(tell(state, id, [{ _tag: "Counts", users: users(state) }]))
    case "Oper": {
      const next: HubState = { ...state, clients: HashMap.set(state.clients, id, { ...client, oper: true }) }
      return Either.right(tell(next, id, [{ _tag: "OperUp" }]))
    }
    case "WhoMask":
      return Either.right(tell(state, id, [{ ...whoMask(state, client, command.mask), ...formatOf(command) }]))
    case "Mode":
      return command.room === undefined
        ? Either.right(userMode(state, client, command.add, command.remove))
        : roomMode(state, client, command.room, command.add, command.remove)
  }
}

/**
 * How the client asked to see the answer (`format`: WHOX fields), which the
 * answer carries back as it came; absent stays absent.
 */
const formatOf = (command: { readonly format?: WhoFormat | undefined }): { readonly format?: WhoFormat } =>
  command.format === undefined ? {} : { format: command.format }

const speak = (
  state: HubState,
  client: Client,
  key: NameKey,
  command: { readonly _tag: "Say" | "Act"; readonly text: string; readonly notice?: boolean | undefined }
): Transition => {
  const [next, event] = numbered(state, key, (seq, room) => {
    const facts = { client: client.id, nick: client.nick, room, seq, text: command.text }
    return command._tag === "Act"
      ? new Acted(facts, true)
      : new Said(command.notice === true ? { ...facts, notice: true } : facts, true)
  })
  return transition(next, [event], undefined)
}

const who = (
  state: HubState,
  client: Client,
  room: RoomName | undefined,
  full: boolean | undefined,
  carried: { readonly format?: WhoFormat; readonly batch?: Batch }
): Either.Either<Transition, NotInRoom> => {
  const key = room === undefined ? onlyRoom(client) : Either.right(keyOf(room))
  return Either.map(key, (key) => {
    const found = HashMap.get(state.rooms, key)
    const reply: Reply = Option.match(found, {
      // Nobody is in a room that does not exist.
      onNone: () => ({ _tag: "WhoList", room: room!, members: [], ...(full === true ? { full } : {}), ...carried }),
      onSome: (r) => {
        const members = memberNicks(state, r)
        const operators = operatorNicks(state, r)
        const ops = { ...(operators === undefined ? {} : { operators }), ...(isSecret(r) ? { secret: true } : {}) }
        return full === true
          ? {
            _tag: "WhoList",
            room: r.name,
            members,
            full,
            infos: members.map((nick) => clientOf(state, nick)?.info),
            away: members.map((nick) => clientOf(state, nick)?.away !== undefined),
            ...ops,
            ...opersOf(state, members),
            ...carried
          }
          : { _tag: "WhoList", room: r.name, members, ...ops, ...carried }
      }
    })
    return tell(state, client.id, [reply])
  })
}

const rename = (state: HubState, client: Client, nick: Nick): Either.Either<Transition, NickTaken> => {
  const taken = takenBy(state, nick, client.id)
  if (Option.isSome(taken)) return Either.left(new NickTaken({ nick: taken.value }))
  if (nick === client.nick) return Either.right(tell(state, client.id, [{ _tag: "NickChanged", nick }]))
  const freed = freeNick(state, keyOf(client.nick))
  let next: HubState = {
    ...freed,
    nicks: HashMap.set(freed.nicks, keyOf(nick), client.id),
    clients: HashMap.set(freed.clients, client.id, { ...client, nick })
  }
  // Each room the client is in hears it once.
  const events: Array<Event> = []
  for (const key of client.rooms) {
    const [numberedState, renamed] = numbered(
      next,
      key,
      (seq, room) => new Renamed({ client: client.id, nick: client.nick, room, seq, to: nick }, true)
    )
    next = numberedState
    events.push(renamed)
  }
  events.push(replied(client.id, [{ _tag: "NickChanged", nick, from: client.nick }], undefined, nick))
  return Either.right(transition(next, events, undefined))
}

const join = (
  state: HubState,
  client: Client,
  name: RoomName,
  alone: boolean,
  claim?: boolean
): Either.Either<Transition, AlreadyInRoom> => {
  const key = keyOf(name)
  if (client.rooms.includes(key)) {
    return Either.left(new AlreadyInRoom({ room: roomAt(state, key).name }))
  }
  const existing = HashMap.get(state.rooms, key)
  // The history as it was before the newcomer: what the room said without it.
  const history = Option.match(existing, {
    onNone: () => [],
    onSome: (room) => Room.recent(room, state.limits.history)
  })
  // An existing room keeps the case it was created with.
  const to = Option.match(existing, { onNone: () => name, onSome: (room) => room.name })
  let current = state
  let moving = client
  const events: Array<Event> = []
  if (alone) {
    for (const from of client.rooms) {
      const [next, moved, left] = leaveRoom(current, moving, from, { _tag: "Moved", to })
      current = next
      moving = moved
      events.push(left)
    }
  }
  const [next, , joined] = enterRoom(current, moving, name, claim)
  const room = roomAt(next, key)
  const operators = operatorNicks(next, room)
  events.push(
    joined,
    replied(client.id, [{
      _tag: "Entered",
      room: room.name,
      members: memberNicks(next, room),
      history,
      ...(room.topic === undefined ? {} : { topic: room.topic }),
      ...(operators === undefined ? {} : { operators }),
      ...(isSecret(room) ? { secret: true } : {})
    }])
  )
  return Either.right(transition(next, events, undefined))
}

const part = (
  state: HubState,
  client: Client,
  name: RoomName,
  message: string | undefined
): Either.Either<Transition, NotInRoom> => {
  const key = keyOf(name)
  if (!client.rooms.includes(key)) return Either.left(new NotInRoom({ room: name }))
  const room = roomAt(state, key).name
  const [next, , left] = leaveRoom(state, client, key, { _tag: "Parted", message })
  return Either.right(transition(next, [left, replied(client.id, [{ _tag: "Parted", room, message }])], undefined))
}

const topic = (
  state: HubState,
  client: Client,
  name: RoomName,
  text: string | undefined
): Either.Either<Transition, NotInRoom> => {
  const key = keyOf(name)
  const found = HashMap.get(state.rooms, key)
  if (text === undefined) {
    if (Option.isNone(found)) return Either.left(new NotInRoom({ room: name, missing: true }))
    return Either.right(tell(state, client.id, [{ _tag: "Topic", room: found.value.name, topic: found.value.topic }]))
  }
  if (!client.rooms.includes(key)) return Either.left(new NotInRoom({ room: name }))
  const locked = roomAt(state, key)
  if (locked.modes?.includes("t") === true && !Room.isOperator(locked, client.id)) {
    return Either.right(tell(state, client.id, [{ _tag: "NotOperator", room: locked.name }]))
  }
  const withTopic: HubState = {
    ...state,
    rooms: HashMap.set(state.rooms, key, { ...roomAt(state, key), topic: text === "" ? undefined : text })
  }
  const [next, event] = numbered(
    withTopic,
    key,
    (seq, room) => new TopicSet({ client: client.id, nick: client.nick, room, seq, topic: text }, true)
  )
  const reply: Reply = { _tag: "Topic", room: event.room, topic: text === "" ? undefined : text, changed: true }
  return Either.right(transition(next, [event, replied(client.id, [reply], undefined, client.nick)], undefined))
}

/** `{ opers }`: those of `nicks` who are IRC operators; `{}` when none, so replies leave the field out. */
const opersOf = (state: HubState, nicks: ReadonlyArray<Nick>): { readonly opers?: Array<Nick> } => {
  const opers = nicks.filter((nick) => clientOf(state, nick)?.oper === true)
  return opers.length === 0 ? {} : { opers }
}

/**
 * Every client whose nick matches `mask`, sorted, at most `maxWhoMatches`; an
 * invisible one only if it is the asker or shares a room with it. O(clients):
 * a rare, explicit query.
 */
const whoMask = (state: HubState, asker: Client, mask: string): Reply => {
  const found: Array<Client> = []
  for (const client of HashMap.values(state.clients)) {
    if (!matches(mask, client.nick)) continue
    if (client.invisible === true && client.id !== asker.id && !client.rooms.some((r) => asker.rooms.includes(r))) {
      continue
    }
    found.push(client)
  }
  const sorted = found.sort((a, b) => byLowerCase(a.nick, b.nick)).slice(0, maxWhoMatches)
  const members = sorted.map((client) => client.nick)
  return {
    _tag: "WhoMatched",
    mask,
    members,
    away: sorted.map((client) => client.away !== undefined),
    infos: sorted.map((client) => client.info),
    ...opersOf(state, members)
  }
}

const isSecret = (room: Room.Room): boolean => room.modes?.includes("s") === true

/** Sorted letters: `modes` with `add` and without `remove`, keeping only `allowed` ones. */
const changeModes = (modes: string, add: string, remove: string, allowed: string): string =>
  Array.from(new Set([...modes, ...add]))
    .filter((m) => allowed.includes(m) && !remove.includes(m))
    .sort()
    .join("")

/** What changed from `before` to `after`: letters added and removed (undefined: none). */
const modeChange = (before: string, after: string) => {
  const added = [...after].filter((m) => !before.includes(m)).join("")
  const removed = [...before].filter((m) => !after.includes(m)).join("")
  return { ...(added === "" ? {} : { added }), ...(removed === "" ? {} : { removed }) }
}

/** The client's own modes (`i`), asked for or changed. */
const userMode = (state: HubState, client: Client, add: string | undefined, remove: string | undefined): Transition => {
  const before = client.invisible === true ? "i" : ""
  const after = changeModes(before, add ?? "", remove ?? "", "i")
  const next: HubState = after === before ? state : {
    ...state,
    clients: HashMap.set(state.clients, client.id, { ...client, invisible: after === "i" })
  }
  return tell(next, client.id, [{ _tag: "Modes", modes: after, ...modeChange(before, after) }])
}

/** A room's modes (`s`, `t`): anyone may ask; only its operators change them. */
const roomMode = (
  state: HubState,
  client: Client,
  name: RoomName,
  add: string | undefined,
  remove: string | undefined
): Either.Either<Transition, NotInRoom> => {
  const key = keyOf(name)
  const found = HashMap.get(state.rooms, key)
  if (Option.isNone(found)) return Either.left(new NotInRoom({ room: name, missing: true }))
  const room = found.value
  const before = room.modes ?? ""
  if (add === undefined && remove === undefined) {
    return Either.right(tell(state, client.id, [{ _tag: "Modes", room: room.name, modes: before }]))
  }
  if (!Room.isOperator(room, client.id)) {
    return Either.right(tell(state, client.id, [{ _tag: "NotOperator", room: room.name }]))
  }
  const after = changeModes(before, add ?? "", remove ?? "", "st")
  const next: HubState = {
    ...state,
    rooms: HashMap.set(state.rooms, key, { ...room, modes: after === "" ? undefined : after })
  }
  return Either.right(
    tell(next, client.id, [{ _tag: "Modes", room: room.name, modes: after, ...modeChange(before, after) }])
  )
}

const clientOf = (state: HubState, nick: Nick): Client | undefined =>
  HashMap.get(state.nicks, keyOf(nick)).pipe(
    Option.flatMap((id) => HashMap.get(state.clients, id)),
    Option.getOrUndefined
  )

const whois = (
  state: HubState,
  client: Client,
  nick: string,
  brief: boolean | undefined,
  carried: { readonly format?: WhoFormat }
): Either.Either<Transition, NoSuchNick> => {
  const target = HashMap.get(state.nicks, nick.toLowerCase() as NameKey).pipe(
    Option.flatMap((id) => HashMap.get(state.clients, id))
  )
  const reply: Reply = Option.match(target, {
    onNone: () => ({ _tag: "WhoisInfo", nick, rooms: undefined, brief, ...carried }),
    onSome: (found) => {
      // A secret room is shown only to its members.
      const shown = found.rooms.map((key) => roomAt(state, key))
        .filter((room) => !isSecret(room) || HashSet.has(room.members, client.id))
      const operatorOf = shown.filter((room) => Room.isOperator(room, found.id)).map((room) => room.name)
      return {
        _tag: "WhoisInfo",
        nick: found.nick,
        rooms: shown.map((room) => room.name),
        info: found.info,
        ...(found.away === undefined ? {} : { away: found.away }),
        brief,
        ...(operatorOf.length === 0 ? {} : { operatorOf }),
        ...(found.oper === true ? { oper: true } : {}),
        ...carried
      }
    }
  })
  return Either.right(tell(state, client.id, [reply]))
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
  return Either.right(transition(state, [
    new Whispered({
      from: client.id,
      fromNick: client.nick,
      to: target.value.id,
      toNick: target.value.nick,
      text,
      ...(target.value.away === undefined ? {} : { away: target.value.away })
    }, true)
  ], undefined))
}

/**
 * Applies a batch of one client's lines, in order, as one transition; stops
 * after a quit, whose reason is then the result. Consecutive replies to the
 * client become one event, so a burst of commands costs one delivery.
 */
export const applyAll = (
  state: HubState,
  id: ClientId,
  inputs: ReadonlyArray<Input>
): Transition<DisconnectReason | undefined> => {
  let current = state
  const events: Array<Event> = []
  // Replies waiting to become one `Replied`: gathered in one array, so merging stays linear.
  let pending: Array<Reply> = []
  const flush = (close?: DisconnectReason): void => {
    if (pending.length > 0 || close !== undefined) events.push(replied(id, pending, close, nickOf(current, id)))
    pending = []
  }
  const failed = (error: UserError): Transition => tell(current, id, [{ _tag: "Failed", error }])
  for (const input of inputs) {
    const step = Either.isLeft(input)
      ? failed(input.left)
      : Either.getOrElse(apply(current, id, input.right), failed)
    current = step.state
    for (const event of step.events) {
      if (event._tag === "Replied" && event.client === id && event.close === undefined) {
        pending.push(...event.replies)
      } else if (event._tag === "Replied" && event.client === id) {
        pending.push(...event.replies)
        flush(event.close)
      } else {
        flush()
        events.push(event)
      }
    }
    if (Either.isRight(input) && input.right._tag === "Quit") {
      flush()
      return transition(current, events, { _tag: "Quit", message: input.right.message })
    }
  }
  flush()
  return transition(current, events, undefined)
}

// ---------------------------------------------------------------------------
// Observing

/** A plain picture of the state, for tests, leak checks and operators. */
export interface Snapshot {
  readonly clients: number
  readonly nicks: number
  readonly rooms: ReadonlyArray<{ readonly name: RoomName; readonly members: ReadonlyArray<Nick> }>
}

export const snapshot = (state: HubState): Snapshot => ({
  clients: HashMap.size(state.clients),
  nicks: HashMap.size(state.nicks),
  rooms: Array.from(HashMap.values(state.rooms))
    .sort((a, b) => byLowerCase(a.name, b.name))
    .map((room) => ({ name: room.name, members: memberNicks(state, room) }))
})
