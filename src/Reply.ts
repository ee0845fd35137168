/**
 * Every line the server sends, and the only module that knows wire text.
 *
 * A line is one of six kinds, told apart by its first characters:
 * `<NICK> ` room message, `* ` action, `[pm] ` and `[pm -> ` private
 * messages, `*** ` notice, `! ` error. Rendered lines end with `\n`, so a
 * batch of them is written as one string without further work.
 */
import type { DisconnectReason, Nick, RoomName, UserError } from "./Domain.js"

/** One rendered line, `\n` included. */
export type Line = string

// ---------------------------------------------------------------------------
// Cleaning relayed text

// C0 controls except TAB, DEL, and C1 controls: enough to stop anyone sending
// terminal escape sequences to other people's terminals.
const controlCharacters = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g
const trailingWhitespace = /\p{White_Space}+$/u

/**
 * Removes control characters and trailing white space. Idempotent, and keeps
 * every other character (emoji, CJK, combining marks). An empty result means
 * the line is to be ignored.
 */
export const clean = (text: string): string =>
  text.replace(controlCharacters, "").replace(trailingWhitespace, "")

// ---------------------------------------------------------------------------
// The six kinds

export const roomMessage = (nick: Nick, text: string): Line => `<${nick}> ${text}\n`
export const action = (nick: Nick, text: string): Line => `* ${nick} ${text}\n`
export const privateReceived = (from: Nick, text: string): Line => `[pm] <${from}> ${text}\n`
export const privateSent = (to: Nick, text: string): Line => `[pm -> ${to}] ${text}\n`
export const notice = (text: string): Line => `*** ${text}\n`
export const error = (text: string): Line => `! ${text}\n`

// ---------------------------------------------------------------------------
// Notices

const room = (name: RoomName): string => `#${name}`

export const welcome = (nick: Nick, name: RoomName, here: number): Line =>
  notice(`welcome to chat, you are ${nick} in ${room(name)} (${here} here)`)

export const helpHint: Line = notice("type /help for commands; lines not starting with / go to the room")

export const joinedRoom = (name: RoomName, members: ReadonlyArray<Nick>): Line =>
  notice(`joined ${room(name)} (${members.length} here: ${members.join(", ")})`)

export const memberJoined = (nick: Nick, name: RoomName): Line => notice(`${nick} joined ${room(name)}`)

export const memberLeft = (nick: Nick, name: RoomName, why: string): Line =>
  notice(`${nick} left ${room(name)} (${why})`)

/** The parenthesised reason of a leave notice. */
export const leaveReason = (reason: DisconnectReason): string => {
  switch (reason._tag) {
    case "Quit":
      return reason.message === undefined ? "quit" : `quit: ${reason.message}`
    case "Closed":
      return "connection closed"
    case "Idle":
      return "idle"
    case "TooSlow":
      return "too slow"
    case "ShuttingDown":
      return "server shutting down"
  }
}

export const movedTo = (name: RoomName): string => `joined ${room(name)}`

export const youAreNow = (nick: Nick): Line => notice(`you are now ${nick}`)

export const renamed = (from: Nick, to: Nick): Line => notice(`${from} is now ${to}`)

export const roomList = (rooms: ReadonlyArray<readonly [RoomName, number]>): Line =>
  notice(`rooms: ${rooms.map(([name, count]) => `${room(name)} (${count})`).join(", ")}`)

export const whoList = (name: RoomName, members: ReadonlyArray<Nick>): Line =>
  notice(`in ${room(name)}: ${members.join(", ")}`)

export const bye: Line = notice("bye")

export const idleDisconnect = (after: string): Line => notice(`disconnected: idle for ${after}`)

export const shuttingDown: Line = notice("server shutting down")

export const serverFull: Line = error("server full")

/** One notice per command, with its syntax. */
export const help: ReadonlyArray<Line> = [
  "/nick NAME          change your nick",
  "/join ROOM          leave your room and enter ROOM (created if needed)",
  "/rooms              list the rooms that have people in them",
  "/who                list the people in your room",
  "/msg NICK TEXT      send a private message",
  "/me TEXT            send an action to your room",
  "/quit [REASON]      leave the chat",
  "/help               show this help (//text sends a room message starting with /)"
].map(notice)

// ---------------------------------------------------------------------------
// Errors

export const usage = {
  nick: "/nick NAME",
  join: "/join ROOM",
  msg: "/msg NICK TEXT",
  me: "/me TEXT"
} as const

export const userError = (e: UserError): Line => {
  switch (e._tag) {
    case "UnknownCommand":
      return error(`unknown command ${e.command} (try /help)`)
    case "Usage":
      return error(`usage: ${e.usage}`)
    case "InvalidNick":
      return error(`invalid nick ${JSON.stringify(e.input)} (1-24 of A-Z a-z 0-9 _ -, starting with a letter)`)
    case "InvalidRoom":
      return error(`invalid room name ${JSON.stringify(e.input)}`)
    case "NickTaken":
      return error(`nick ${e.nick} is taken`)
    case "NoSuchNick":
      return error(`no such nick ${e.nick}`)
    case "AlreadyInRoom":
      return error(`you are already in ${room(e.room)}`)
    case "LineTooLong":
      return error(`line too long (max ${e.maxBytes} bytes)`)
  }
}
