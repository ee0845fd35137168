/**
 * The conversation as the page shows it: entries in the `role="log"` list,
 * built from text only (`textContent`, never HTML), a colour per nick, a
 * "new messages" marker before talk that arrives while the reader is away or
 * scrolled up, and runs of joins and leaves folded into one entry.
 */
import type { ServerMessage, Spoken } from "../../protocol/ws/WsMessage.js"
import type * as WsMessage from "../../protocol/ws/WsMessage.js"

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  if (className !== undefined) element.className = className
  if (text !== undefined) element.textContent = text
  return element
}

/** A hue from the nick: the same colour for the same nick, everywhere. */
const hue = (nick: string): number => {
  let hash = 0
  for (const char of nick.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) >>> 0
  return hash % 360
}

export const nickSpan = (nick: string): HTMLSpanElement => {
  const span = el("span", "nick", nick)
  span.style.setProperty("--hue", String(hue(nick)))
  return span
}

const clock = (): string => {
  const now = new Date()
  return `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`
}

export const leftReason = (reason: WsMessage.LeftReason): string => {
  switch (reason.kind) {
    case "quit":
      return reason.message === undefined ? "quit" : `quit: ${reason.message}`
    case "closed":
      return "connection closed"
    case "idle":
      return "idle"
    case "tooSlow":
      return "too slow"
    case "shuttingDown":
      return "server shutting down"
    case "connectionLost":
      return "connection lost"
    case "moved":
      return `joined #${reason.to ?? "?"}`
    case "parted":
      return reason.message === undefined ? "left" : `left: ${reason.message}`
  }
}

/** The log in `log`, with its "new messages" button `jump`; `onUnseen` hears when the count of unseen talk changes. */
export const make = (log: HTMLOListElement, jump: HTMLButtonElement, onUnseen: () => void) => {
  /** Talk that arrived since the marker was placed, not yet seen. */
  let unseen = 0

  const atBottom = (): boolean => log.scrollHeight - log.scrollTop - log.clientHeight < 40

  const scrollToBottom = (): void => {
    log.scrollTop = log.scrollHeight
    jump.hidden = true
  }

  /**
   * Adds an entry to the log. Talk (`talk`) that arrives while the user is
   * away or scrolled up gets a "new messages" marker before the first of it.
   */
  const append = (entry: HTMLLIElement, talk = false): void => {
    const follow = atBottom()
    if (talk && (document.hidden || !follow)) {
      if (unseen === 0) {
        log.querySelector(".marker")?.remove()
        const marker = el("li", "marker", "new messages")
        marker.setAttribute("role", "separator")
        log.append(marker)
      }
      unseen += 1
      onUnseen()
    }
    log.append(entry)
    if (follow && !document.hidden) scrollToBottom()
    else if (!follow) jump.hidden = false
  }

  const seen = (): void => {
    if (unseen === 0) return
    unseen = 0
    onUnseen()
  }

  const line = (className: string, time: string): { readonly li: HTMLLIElement; readonly body: HTMLSpanElement } => {
    const li = el("li", className)
    li.append(el("span", "time", time))
    const body = el("span", "body")
    li.append(body)
    return { li, body }
  }

  const showSpoken = (message: Spoken, history: boolean): void => {
    const { body, li } = line(message.type === "message" ? "message" : "action", history ? "" : clock())
    if (history) li.classList.add("history")
    if (message.type === "message") {
      body.append(nickSpan(message.nick), document.createTextNode(" "), el("span", "text", message.text))
    } else {
      body.append(document.createTextNode("* "), nickSpan(message.nick), document.createTextNode(` ${message.text}`))
    }
    append(li, !history)
  }

  const showPrivate = (message: Extract<ServerMessage, { type: "private" }>): void => {
    const { body, li } = line("private", clock())
    const received = message.side === "received"
    body.append(
      el("span", "tag", received ? "private from " : "private to "),
      nickSpan(received ? message.from : message.to),
      document.createTextNode(" "),
      el("span", "text", message.text)
    )
    append(li, received)
  }

  const showNotice = (text: string, className = "notice"): void => {
    const { body, li } = line(className, clock())
    body.textContent = text
    append(li)
  }

  const showError = (text: string): void => showNotice(text, "error")

  const showDivider = (text: string): void => {
    const li = el("li", "divider", text)
    li.setAttribute("role", "separator")
    append(li)
  }

  /**
   * Joins, leaves and renames in a row share one entry: the first shows as
   * is, more fold into a summary that opens to the whole list.
   */
  const showMemberNotice = (text: string): void => {
    const last = log.lastElementChild
    if (last instanceof HTMLLIElement && last.classList.contains("notices")) {
      const items = last.querySelector("ul")!
      items.append(el("li", undefined, text))
      const count = items.childElementCount
      const texts = Array.from(items.children, (item) => item.textContent ?? "")
      const shown = texts.slice(-3).join(" · ")
      last.querySelector("summary")!.textContent = count > 3 ? `${shown} (+${count - 3} more)` : shown
      last.querySelector("details")!.hidden = false
      last.querySelector(".single")?.remove()
      if (atBottom()) scrollToBottom()
      return
    }
    const { body, li } = line("notices", clock())
    const details = el("details")
    details.hidden = true
    details.append(el("summary", undefined, text))
    const items = el("ul")
    items.append(el("li", undefined, text))
    details.append(items)
    body.append(el("span", "single", text), details)
    append(li)
  }

  return {
    atBottom,
    scrollToBottom,
    seen,
    unseen: () => unseen,
    showSpoken,
    showPrivate,
    showNotice,
    showError,
    showDivider,
    showMemberNotice
  } as const
}
