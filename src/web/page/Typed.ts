/**
 * What a person types in the page's box, read as `nc` users type it
 * (PROTOCOL.md's commands): `/nick NAME`, `/join ROOM`, `/msg NICK TEXT`,
 * `/me TEXT`, `/who`, `/rooms`, `/quit [REASON]`, `/help`, `//text` for a
 * message starting with `/`, anything else a message to the room.
 *
 * The server checks names and says what is wrong; only what it cannot be
 * asked (an unknown command) is answered here.
 */
import type { ClientMessage } from "../../protocol/ws/WsMessage.js"

export type Typed =
  | { readonly _tag: "Send"; readonly message: ClientMessage }
  | { readonly _tag: "Clear" }
  | { readonly _tag: "Unknown"; readonly command: string }
  | { readonly _tag: "Nothing" }

const splitWord = (text: string): readonly [string, string] => {
  const match = /\s/.exec(text)
  return match === null ? [text, ""] : [text.slice(0, match.index), text.slice(match.index).trimStart()]
}

const send = (message: ClientMessage): Typed => ({ _tag: "Send", message })

export const read = (typed: string): Typed => {
  const line = typed.trimEnd()
  if (line.trim() === "") return { _tag: "Nothing" }
  if (!line.startsWith("/")) return send({ type: "say", text: line })
  if (line.startsWith("//")) return send({ type: "say", text: line.slice(1) })
  const [word, rest] = splitWord(line)
  switch (word.slice(1).toLowerCase()) {
    case "nick":
      return send({ type: "nick", nick: rest })
    case "join":
      return send({ type: "join", room: rest })
    case "rooms":
      return send({ type: "rooms" })
    case "who":
      return send({ type: "who" })
    case "msg": {
      const [to, text] = splitWord(rest)
      return send({ type: "msg", to, text })
    }
    case "me":
      return send({ type: "me", text: rest })
    case "quit":
      return send(rest === "" ? { type: "quit" } : { type: "quit", message: rest })
    case "help":
      return send({ type: "help" })
    case "clear":
      return { _tag: "Clear" }
    default:
      return { _tag: "Unknown", command: word }
  }
}
