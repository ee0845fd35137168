/**
 * What the hub publishes, in one total order, and how one client folds that
 * order into the lines it must see.
 *
 * Lines are rendered once, when the event is made, never per recipient. The
 * fold keeps only the client's current room, and a room switch is itself an
 * event (`Entered` for the client), so the filter changes at exactly the
 * point in the order where the switch happened: nothing is missed or doubled.
 */
import type { ClientId, DisconnectReason, NameKey } from "./Domain.js"
import type { Line } from "./Reply.js"

export type Event =
  /** A client entered a room: on connect, or by `/join`. */
  | {
    readonly _tag: "Entered"
    readonly client: ClientId
    readonly room: NameKey
    /** For the room's other members. */
    readonly notice: Line
    /** For the client: the welcome or join notice, then the room's history. */
    readonly welcome: ReadonlyArray<Line>
  }
  /** A client left a room: it disconnected, or joined another one. */
  | { readonly _tag: "Departed"; readonly client: ClientId; readonly room: NameKey; readonly notice: Line }
  /**
   * Room messages and actions, for everyone in the room but their sender:
   * one line, or several of the same sender's lines read at once.
   */
  | {
    readonly _tag: "Spoke"
    readonly client: ClientId
    readonly room: NameKey
    readonly line: Line
    /** How many lines `line` holds. */
    readonly count: number
  }
  | {
    readonly _tag: "Renamed"
    readonly client: ClientId
    readonly room: NameKey
    readonly notice: Line
    readonly reply: Line
  }
  | {
    readonly _tag: "Whispered"
    readonly from: ClientId
    readonly to: ClientId
    readonly received: Line
    readonly sent: Line
  }
  /** Lines for one client only; `close` ends its connection once they are written. */
  | {
    readonly _tag: "Replied"
    readonly client: ClientId
    /** The lines, rendered and joined once, so that merging replies is one append. */
    readonly text: Line
    /** How many lines `text` holds (0: only a close). */
    readonly count: number
    readonly close: DisconnectReason | undefined
  }
  | { readonly _tag: "ShuttingDown"; readonly notice: Line; readonly reason: DisconnectReason }

/** What one client's stream carries: lines to write, then maybe the end. */
export type Output = Line | Close

/** Written after everything before it: the connection then ends with `reason`. */
export interface Close {
  readonly _tag: "Close"
  readonly reason: DisconnectReason
}

export const isClose = (output: Output): output is Close => typeof output !== "string"

/** One client's position in the event order. */
export interface View {
  readonly self: ClientId
  /** Undefined until the client's own `Entered` arrives. */
  readonly room: NameKey | undefined
}

export const initialView = (self: ClientId): View => ({ self, room: undefined })

/** Where a fold puts what the client sees. */
export interface Sink {
  /**
   * Text to write: `count` lines, each ending in `\n`. What one event gives
   * a client comes in one call, so a bound on lines can treat it as a whole.
   * `canWait`: a notice about someone else (a join, a leave, a rename),
   * which may wait a few milliseconds to share a write with others.
   */
  readonly write: (text: Line, count: number, canWait?: boolean) => void
  readonly close: (reason: DisconnectReason) => void
}

/**
 * Puts into `sink` what the client of `view` sees of `event`, and returns its
 * view after the event. No allocation but the new view on a room switch.
 */
export const seeInto = (view: View, event: Event, sink: Sink): View => {
  switch (event._tag) {
    case "Entered":
      if (event.client === view.self) {
        if (event.welcome.length > 0) sink.write(event.welcome.join(""), event.welcome.length)
        return { self: view.self, room: event.room }
      }
      if (event.room === view.room) sink.write(event.notice, 1, true)
      return view
    case "Departed":
      if (event.client !== view.self && event.room === view.room) sink.write(event.notice, 1, true)
      return view
    case "Spoke":
      if (event.client !== view.self && event.room === view.room) sink.write(event.line, event.count)
      return view
    case "Renamed":
      if (event.client === view.self) sink.write(event.reply, 1)
      else if (event.room === view.room) sink.write(event.notice, 1, true)
      return view
    case "Whispered":
      if (event.to === view.self) sink.write(event.received, 1)
      if (event.from === view.self) sink.write(event.sent, 1)
      return view
    case "Replied":
      if (event.client === view.self) {
        if (event.count > 0) sink.write(event.text, event.count)
        if (event.close !== undefined) sink.close(event.close)
      }
      return view
    case "ShuttingDown":
      sink.write(event.notice, 1)
      sink.close(event.reason)
      return view
  }
}

/** `seeInto` collecting into an array: lines, one by one, then maybe a `Close`. */
export const see = (view: View, event: Event, out: Array<Output>): View =>
  seeInto(view, event, {
    write: (text) => {
      for (const line of text.split(/(?<=\n)/)) out.push(line)
    },
    close: (reason) => {
      out.push({ _tag: "Close", reason })
    }
  })
