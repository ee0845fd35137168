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
  /** A room message or action: everyone in the room but its sender. */
  | { readonly _tag: "Spoke"; readonly client: ClientId; readonly room: NameKey; readonly line: Line }
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
    readonly lines: ReadonlyArray<Line>
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

/**
 * Appends to `out` what the client of `view` sees of `event`, and returns its
 * view after the event. `out` is the caller's buffer for a whole batch, so a
 * batch of events costs no intermediate arrays.
 */
export const see = (view: View, event: Event, out: Array<Output>): View => {
  switch (event._tag) {
    case "Entered":
      if (event.client === view.self) {
        for (const line of event.welcome) out.push(line)
        return { self: view.self, room: event.room }
      }
      if (event.room === view.room) out.push(event.notice)
      return view
    case "Departed":
    case "Spoke":
      if (event.client !== view.self && event.room === view.room) {
        out.push(event._tag === "Spoke" ? event.line : event.notice)
      }
      return view
    case "Renamed":
      if (event.client === view.self) out.push(event.reply)
      else if (event.room === view.room) out.push(event.notice)
      return view
    case "Whispered":
      if (event.to === view.self) out.push(event.received)
      if (event.from === view.self) out.push(event.sent)
      return view
    case "Replied":
      if (event.client === view.self) {
        for (const line of event.lines) out.push(line)
        if (event.close !== undefined) out.push({ _tag: "Close", reason: event.close })
      }
      return view
    case "ShuttingDown":
      out.push(event.notice, { _tag: "Close", reason: event.reason })
      return view
  }
}
