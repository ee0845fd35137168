/**
 * The notices of one room gathered during one delivery (someone came in,
 * someone left), so that each member gets them in one write instead of one
 * write per notice.
 *
 * Why: a crowd joining a room is N² notices, every join announced to
 * everyone already there (12.5 million for 5000 clients). Written one by
 * one, each cost about 1 µs per member (walking the members, the outbox, the
 * socket's pending text: a cache miss each), and a crowd of 5000 took 25 s
 * of CPU. Gathered, a notice costs one append here, rendered once per
 * protocol into one string, and each member is handed its share, a slice of
 * that string, once per delivery.
 *
 * A member's share is the notices since its place: a member given its share
 * early (because something else had to reach it first, or because the notice
 * is about itself) resumes from there. Owned by `Fanout`, used by one fiber
 * at a time, and gone at the end of each delivery, so it never holds more
 * than one batch of events.
 */
import type { ClientId } from "../domain/Domain.js"
import type { Render, Rendered, RoomEvent } from "../domain/Event.js"

export interface NoticeWindow {
  /** Notices gathered so far. */
  readonly size: () => number
  readonly add: (event: RoomEvent) => void
  /**
   * The share of `client` (what it has not been given yet), rendered by
   * `render`, and moves its place to the end: `undefined` when it has nothing.
   * A notice the protocol shows once per client (`Render.oncePerClient`) is
   * left out unless `firstSight` says the client has not seen it yet.
   */
  readonly take: (
    client: ClientId,
    render: Render,
    firstSight: (client: ClientId, event: RoomEvent) => boolean
  ) => Rendered | undefined
  /** Moves the place of `client` to the end: it is not to see what came before (its own notice). */
  readonly skip: (client: ClientId) => void
}

/** The window's notices as one protocol shows them: one string, with where each notice starts. */
interface Text {
  readonly render: Render
  readonly parts: Array<string>
  /** `offsets[i]`: characters before notice `i`; one more entry than `parts`. */
  readonly offsets: Array<number>
  /** `counts[i]`: messages before notice `i`. */
  readonly counts: Array<number>
  /** `onces[i]`: notices before notice `i` that the protocol shows once per client. */
  readonly onces: Array<number>
  /** `parts` joined, up to `joinedParts` of them (joined again only when asked for more). */
  joined: string
  joinedParts: number
}

export const make = (): NoticeWindow => {
  const events: Array<RoomEvent> = []
  // Where each member's share starts; absent: at the first notice.
  const places = new Map<ClientId, number>()
  // Nearly always one protocol per room.
  const texts: Array<Text> = []

  const textFor = (render: Render): Text => {
    let text = texts.find((t) => t.render === render)
    if (text === undefined) {
      text = { render, parts: [], offsets: [0], counts: [0], onces: [0], joined: "", joinedParts: 0 }
      texts.push(text)
    }
    // Render what arrived since this protocol last looked.
    for (let i = text.parts.length; i < events.length; i++) {
      const rendered = render.roomEvent(events[i]!)
      const part = rendered?.text ?? ""
      text.parts.push(part)
      text.offsets.push(text.offsets[i]! + part.length)
      text.counts.push(text.counts[i]! + (rendered?.count ?? 0))
      text.onces.push(text.onces[i]! + (render.oncePerClient?.(events[i]!) === true ? 1 : 0))
    }
    if (text.joinedParts < text.parts.length) {
      text.joined = text.parts.join("")
      text.joinedParts = text.parts.length
    }
    return text
  }

  /** The share without the once-per-client notices the client has seen: notice by notice. */
  const filtered = (
    client: ClientId,
    text: Text,
    from: number,
    to: number,
    firstSight: (client: ClientId, event: RoomEvent) => boolean
  ): Rendered | undefined => {
    let out = ""
    let count = 0
    for (let i = from; i < to; i++) {
      const event = events[i]!
      if (text.render.oncePerClient?.(event) === true && !firstSight(client, event)) continue
      out += text.parts[i]!
      count += text.counts[i + 1]! - text.counts[i]!
    }
    return count === 0 ? undefined : { text: out, count }
  }

  const take = (
    client: ClientId,
    render: Render,
    firstSight: (client: ClientId, event: RoomEvent) => boolean
  ): Rendered | undefined => {
    const from = places.get(client) ?? 0
    const to = events.length
    if (from >= to) return undefined
    places.set(client, to)
    const text = textFor(render)
    if (text.onces[to]! > text.onces[from]!) return filtered(client, text, from, to, firstSight)
    const count = text.counts[to]! - text.counts[from]!
    if (count === 0) return undefined
    const start = text.offsets[from]!
    const end = text.offsets[to]!
    return { text: start === 0 && end === text.joined.length ? text.joined : text.joined.slice(start, end), count }
  }

  return {
    size: () => events.length,
    add: (event) => void events.push(event),
    take,
    skip: (client) => void places.set(client, events.length)
  }
}
