/**
 * The chat page: one WebSocket to `/ws` speaking the messages of
 * `protocol/ws/WsMessage.ts`, shown as a conversation.
 *
 * - Text from the server is only ever inserted as text (`textContent`),
 *   never as HTML: no nick or message can inject markup or script.
 * - The nick and room are remembered in `localStorage`; when the connection
 *   drops, the page reconnects with backoff and takes them back.
 * - Joins, leaves and renames fold into one line per run, so a busy stream
 *   of them does not bury the talk.
 */
import { Either } from "effect"
import type { ClientMessage, ServerMessage, Spoken } from "../../protocol/ws/WsMessage.js"
import * as WsMessage from "../../protocol/ws/WsMessage.js"
import * as ChatLog from "./ChatLog.js"
import * as Typed from "./Typed.js"

const byId = <E extends HTMLElement>(id: string): E => {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the page lacks #${id}`)
  return element as E
}

const ui = {
  title: byId<HTMLHeadingElement>("title"),
  status: byId<HTMLParagraphElement>("status"),
  myNick: byId<HTMLSpanElement>("my-nick"),
  changeNick: byId<HTMLButtonElement>("change-nick"),
  roomsPanel: byId<HTMLElement>("rooms"),
  peoplePanel: byId<HTMLElement>("people"),
  toggleRooms: byId<HTMLButtonElement>("toggle-rooms"),
  togglePeople: byId<HTMLButtonElement>("toggle-people"),
  roomList: byId<HTMLUListElement>("room-list"),
  joinForm: byId<HTMLFormElement>("join-form"),
  joinRoom: byId<HTMLInputElement>("join-room"),
  log: byId<HTMLOListElement>("log"),
  jump: byId<HTMLButtonElement>("jump"),
  sendForm: byId<HTMLFormElement>("send-form"),
  message: byId<HTMLInputElement>("message"),
  memberList: byId<HTMLUListElement>("member-list"),
  peopleCount: byId<HTMLSpanElement>("people-count"),
  nickDialog: byId<HTMLDialogElement>("nick-dialog"),
  nickForm: byId<HTMLFormElement>("nick-form"),
  nickInput: byId<HTMLInputElement>("nick-input")
}

// ---------------------------------------------------------------------------
// Remembered in the browser

const storage = {
  get: (key: string): string | undefined => {
    const value = window.localStorage.getItem(`chat.${key}`)
    return value === null || value === "" ? undefined : value
  },
  set: (key: string, value: string): void => window.localStorage.setItem(`chat.${key}`, value)
}

// ---------------------------------------------------------------------------
// State

const state = {
  socket: undefined as WebSocket | undefined,
  /** The nick the server gave us. */
  nick: undefined as string | undefined,
  /** The nick to take (back) on connecting. */
  wantedNick: storage.get("nick"),
  /** The room we are in. */
  room: undefined as string | undefined,
  /** The room to enter (again) on connecting. */
  wantedRoom: storage.get("room") ?? "lobby",
  members: [] as Array<string>,
  /** The rooms as the server last listed them. */
  rooms: [] as ReadonlyArray<{ readonly room: string; readonly members: number }>,
  /** The last number seen in each room, so a reconnect's history shows only what was missed. */
  lastSeq: new Map<string, number>(),
  /** Reconnect attempts since the last good connection. */
  attempt: 0,
  reconnectTimer: undefined as number | undefined,
  roomsRefresh: undefined as number | undefined,
  /** Do not reconnect: the user quit, or the server let us go for silence. */
  stopped: false,
  /** Replies asked for by typing (`/rooms`, `/who`) are also shown in the log. */
  typedRooms: 0,
  typedWho: 0,
  sent: [] as Array<string>,
  sentIndex: 0
}

// ---------------------------------------------------------------------------
// The log

const updateTitle = (): void => {
  const where = state.room === undefined ? "chat" : `#${state.room} · chat`
  document.title = chatLog.unseen() > 0 && document.hidden ? `(${chatLog.unseen()}) ${where}` : where
}

const chatLog = ChatLog.make(ui.log, ui.jump, updateTitle)
const {
  atBottom,
  scrollToBottom,
  seen,
  showDivider,
  showError,
  showMemberNotice,
  showNotice,
  showPrivate,
  showSpoken
} = chatLog
const { el, leftReason, nickSpan } = ChatLog

// ---------------------------------------------------------------------------
// Side panels

const renderMembers = (): void => {
  ui.memberList.replaceChildren(
    ...state.members.map((nick) => {
      const item = el("li")
      item.append(nickSpan(nick))
      if (nick === state.nick) item.classList.add("me")
      return item
    })
  )
  ui.peopleCount.textContent = state.members.length === 0 ? "" : `(${state.members.length})`
}

const setMembers = (members: ReadonlyArray<string>): void => {
  state.members = [...members].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
  renderMembers()
  renderRooms()
}

/** The rooms listed last, with our own room's count as we see it now (it changes between listings). */
const renderRooms = (): void => {
  const current = state.room?.toLowerCase()
  const listed = state.rooms.map((r) => r.room.toLowerCase() === current ? { ...r, members: state.members.length } : r)
  const list = state.room === undefined || listed.some((r) => r.room.toLowerCase() === current)
    ? listed
    : [...listed, { room: state.room, members: state.members.length }].sort((a, b) =>
      a.room.toLowerCase().localeCompare(b.room.toLowerCase())
    )
  ui.roomList.replaceChildren(
    ...list.map(({ members, room }) => {
      const item = el("li")
      const button = el("button")
      button.type = "button"
      button.append(el("span", "name", `#${room}`), el("span", "count", String(members)))
      button.setAttribute("aria-label", `#${room}, ${members} here`)
      if (room.toLowerCase() === state.room?.toLowerCase()) button.setAttribute("aria-current", "true")
      button.addEventListener("click", () => {
        closePanels()
        if (room.toLowerCase() !== state.room?.toLowerCase()) send({ type: "join", room })
      })
      item.append(button)
      return item
    })
  )
}

const setRoom = (room: string | undefined): void => {
  state.room = room
  if (room !== undefined) {
    state.wantedRoom = room
    storage.set("room", room)
  }
  ui.title.textContent = room === undefined ? "chat" : `#${room}`
  ui.message.placeholder = room === undefined ? "/join a room — or /help" : `Message #${room} — or /help`
  updateTitle()
}

const setNick = (nick: string): void => {
  state.nick = nick
  ui.myNick.textContent = nick
  renderMembers()
}

const setStatus = (text: string, offline = false): void => {
  ui.status.textContent = text
  ui.status.classList.toggle("offline", offline)
}

// ---------------------------------------------------------------------------
// The connection

const send = (message: ClientMessage): boolean => {
  const socket = state.socket
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) return false
  socket.send(WsMessage.encode(message))
  return true
}

const refreshRooms = (): void => {
  send({ type: "rooms" })
}

// People coming and going change other rooms' counts too: the list is asked
// for again a moment after, once per burst (flood control counts every message).
const refreshRoomsSoon = (): void => {
  if (state.roomsRefresh !== undefined) return
  state.roomsRefresh = window.setTimeout(() => {
    state.roomsRefresh = undefined
    refreshRooms()
  }, 1000)
}

/** Shows a room's history once: on a reconnect, only what was missed. */
const showHistory = (room: string, history: ReadonlyArray<Spoken>): void => {
  const last = state.lastSeq.get(room.toLowerCase()) ?? 0
  const newest = history.length === 0 ? 0 : history[history.length - 1]!.seq
  // Numbers that go back mean the server started afresh: its history is all new.
  const from = newest < last ? 0 : last
  const missed = history.filter((message) => message.seq > from)
  if (missed.length > 0) {
    showDivider(from === 0 ? `earlier in #${room}` : `missed in #${room}`)
    for (const message of missed) showSpoken(message, true)
    showDivider("now")
  }
  if (newest > 0) state.lastSeq.set(room.toLowerCase(), newest)
}

const noteSeq = (room: string, seq: number): void => {
  state.lastSeq.set(room.toLowerCase(), seq)
}

const handle = (message: ServerMessage): void => {
  switch (message.type) {
    case "welcome":
      setNick(message.nick)
      state.attempt = 0
      setStatus("connected")
      if (message.room !== undefined) setRoom(message.room)
      return
    case "nick":
      setNick(message.nick)
      state.wantedNick = message.nick
      storage.set("nick", message.nick)
      showNotice(`you are now ${message.nick}`)
      return
    case "entered":
      if (state.room !== undefined && state.room.toLowerCase() !== message.room.toLowerCase()) {
        showDivider(`#${message.room}`)
      }
      setRoom(message.room)
      setMembers(message.members)
      showNotice(`you joined #${message.room} (${message.members.length} here)`)
      showHistory(message.room, message.history)
      refreshRooms()
      return
    case "parted":
      showNotice(`you left #${message.room}`)
      setRoom(undefined)
      setMembers([])
      return
    case "message":
    case "action":
      noteSeq(message.room, message.seq)
      showSpoken(message, false)
      return
    case "private":
      showPrivate(message)
      return
    case "joined":
      noteSeq(message.room, message.seq)
      setMembers([...state.members.filter((nick) => nick !== message.nick), message.nick])
      showMemberNotice(`${message.nick} joined`)
      refreshRoomsSoon()
      return
    case "left":
      noteSeq(message.room, message.seq)
      setMembers(state.members.filter((nick) => nick !== message.nick))
      showMemberNotice(`${message.nick} left (${leftReason(message.reason)})`)
      refreshRoomsSoon()
      return
    case "renamed":
      noteSeq(message.room, message.seq)
      setMembers([...state.members.filter((nick) => nick !== message.nick), message.to])
      showMemberNotice(`${message.nick} is now ${message.to}`)
      return
    case "rooms":
      state.rooms = message.rooms
      renderRooms()
      if (state.typedRooms > 0) {
        state.typedRooms -= 1
        showNotice(
          message.rooms.length === 0
            ? "no rooms"
            : `rooms: ${message.rooms.map((r) => `#${r.room} (${r.members})`).join(", ")}`
        )
      }
      return
    case "who":
      if (message.room.toLowerCase() === state.room?.toLowerCase()) setMembers(message.members)
      if (state.typedWho > 0) {
        state.typedWho -= 1
        showNotice(`in #${message.room}: ${message.members.join(", ")}`)
      }
      return
    case "help":
      for (const command of message.commands) showNotice(`${command.usage.padEnd(16)} ${command.description}`)
      return
    case "bye":
      state.stopped = true
      showNotice("bye")
      return
    case "idle":
      state.stopped = true
      showNotice(`disconnected: idle for ${message.after} (send a message to come back)`)
      return
    case "shutdown":
      showNotice("the server is shutting down; reconnecting when it is back")
      return
    case "full":
      showError("the server is full; trying again")
      return
    case "topicSet":
      showNotice(`${message.nick} set the topic of #${message.room}: ${message.topic}`)
      return
    case "topic":
      showNotice(
        message.topic === undefined ? `#${message.room} has no topic` : `topic of #${message.room}: ${message.topic}`
      )
      return
    case "tooMany":
      showError("too many connections from your address; trying again")
      return
    case "cluster":
      if (message.what === "historyLost") showNotice(`the history of #${message.room ?? "this room"} was lost`)
      else if (message.what === "eventsMissed") showNotice(`some events in #${message.room ?? "this room"} were missed`)
      else showNotice("the server lost the cluster; reconnecting")
      return
    case "error":
      showError(message.message)
      return
  }
}

const connect = (): void => {
  window.clearTimeout(state.reconnectTimer)
  state.reconnectTimer = undefined
  state.stopped = false
  setStatus(state.attempt === 0 ? "connecting…" : "reconnecting…", state.attempt > 0)
  const url = new URL("/ws", window.location.href)
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  const socket = new WebSocket(url)
  state.socket = socket
  socket.addEventListener("open", () => {
    if (state.wantedNick !== undefined) send({ type: "nick", nick: state.wantedNick })
    send({ type: "join", room: state.wantedRoom })
  })
  socket.addEventListener("message", (event: MessageEvent<unknown>) => {
    if (typeof event.data !== "string") return
    const decoded = WsMessage.decodeServer(event.data)
    if (Either.isRight(decoded)) handle(decoded.right)
  })
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return
    state.socket = undefined
    if (state.stopped) {
      setStatus("disconnected", true)
      return
    }
    scheduleReconnect()
  })
}

/** Backoff: 0.5 s, 1 s, 2 s... up to 10 s, with jitter so a crowd does not come back at once. */
const scheduleReconnect = (): void => {
  const delay = Math.min(10_000, 500 * 2 ** state.attempt) * (0.75 + Math.random() * 0.5)
  state.attempt += 1
  setStatus(`offline: reconnecting in ${Math.ceil(delay / 1000)} s`, true)
  state.reconnectTimer = window.setTimeout(connect, delay)
}

// ---------------------------------------------------------------------------
// Typing

const submit = (text: string): void => {
  const typed = Typed.read(text)
  switch (typed._tag) {
    case "Nothing":
      return
    case "Clear":
      ui.log.replaceChildren()
      return
    case "Unknown":
      showError(`unknown command ${typed.command} (try /help)`)
      return
    case "Send": {
      const message = typed.message
      if (message.type === "rooms") state.typedRooms += 1
      if (message.type === "who") state.typedWho += 1
      if (message.type === "join" && message.room !== "") closePanels()
      if (state.socket === undefined) {
        showError("not connected: reconnecting…")
        if (state.reconnectTimer === undefined) connect()
        return
      }
      if (!send(message)) {
        showError("not connected yet: try again in a moment")
        return
      }
      // Our own messages are not echoed by the server: shown here as sent.
      if (message.type === "say" && state.nick !== undefined && state.room !== undefined) {
        showSpoken({ type: "message", room: state.room, nick: state.nick, text: message.text, seq: 0 }, false)
      } else if (message.type === "me" && message.text !== "" && state.nick !== undefined && state.room !== undefined) {
        showSpoken({ type: "action", room: state.room, nick: state.nick, text: message.text, seq: 0 }, false)
      } else if (message.type === "quit") {
        state.stopped = true
      }
      scrollToBottom()
    }
  }
}

ui.sendForm.addEventListener("submit", (event) => {
  event.preventDefault()
  const text = ui.message.value
  if (text.trim() === "") return
  if (state.sent[state.sent.length - 1] !== text) state.sent.push(text)
  if (state.sent.length > 100) state.sent.shift()
  state.sentIndex = state.sent.length
  ui.message.value = ""
  submit(text)
})

ui.message.addEventListener("keydown", (event) => {
  if (event.key === "ArrowUp" && state.sentIndex > 0) {
    event.preventDefault()
    state.sentIndex -= 1
    ui.message.value = state.sent[state.sentIndex] ?? ""
  } else if (event.key === "ArrowDown" && state.sentIndex < state.sent.length) {
    event.preventDefault()
    state.sentIndex += 1
    ui.message.value = state.sent[state.sentIndex] ?? ""
  }
})

// ---------------------------------------------------------------------------
// Panels, nick, visibility

const closePanels = (): void => {
  for (const [panel, toggle] of [[ui.roomsPanel, ui.toggleRooms], [ui.peoplePanel, ui.togglePeople]] as const) {
    panel.classList.remove("open")
    toggle.setAttribute("aria-expanded", "false")
  }
}

const togglePanel = (panel: HTMLElement, toggle: HTMLButtonElement, other: HTMLElement, otherToggle: HTMLElement) => {
  const open = !panel.classList.contains("open")
  other.classList.remove("open")
  otherToggle.setAttribute("aria-expanded", "false")
  panel.classList.toggle("open", open)
  toggle.setAttribute("aria-expanded", String(open))
  if (open) refreshRooms()
}
ui.toggleRooms.addEventListener(
  "click",
  () => togglePanel(ui.roomsPanel, ui.toggleRooms, ui.peoplePanel, ui.togglePeople)
)
ui.togglePeople.addEventListener(
  "click",
  () => togglePanel(ui.peoplePanel, ui.togglePeople, ui.roomsPanel, ui.toggleRooms)
)
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closePanels()
})

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault()
  const room = ui.joinRoom.value.trim()
  if (room === "") return
  ui.joinRoom.value = ""
  closePanels()
  if (!send({ type: "join", room })) showError("not connected yet: try again in a moment")
  ui.message.focus()
})

ui.jump.addEventListener("click", () => {
  scrollToBottom()
  seen()
  ui.message.focus()
})
ui.log.addEventListener("scroll", () => {
  if (atBottom()) {
    ui.jump.hidden = true
    if (!document.hidden) seen()
  }
})
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && atBottom()) seen()
})

const askNick = (): void => {
  ui.nickInput.value = state.wantedNick ?? state.nick ?? ""
  ui.nickDialog.showModal()
  ui.nickInput.focus()
}

ui.changeNick.addEventListener("click", askNick)

ui.nickForm.addEventListener("submit", (event) => {
  event.preventDefault()
  if (!ui.nickForm.reportValidity()) return
  const nick = ui.nickInput.value.trim()
  ui.nickDialog.close()
  state.wantedNick = nick
  storage.set("nick", nick)
  if (state.socket === undefined && state.reconnectTimer === undefined) connect()
  else if (nick !== state.nick) send({ type: "nick", nick })
  ui.message.focus()
})

// A nick remembered from last time: straight in. Otherwise, ask first.
if (state.wantedNick === undefined) askNick()
else connect()
setInterval(() => {
  if (!document.hidden) refreshRooms()
}, 15_000)
