/**
 * The IRC protocol as a `WireProtocol`: what irssi, WeeChat and HexChat
 * speak. A client starts in no room and registers first (`IrcSession`);
 * events are shown in IRC's words (`IrcRender`).
 */
import { Either } from "effect"
import type { Input } from "../../domain/Command.js"
import { UnknownCommand } from "../../domain/Domain.js"
import type { WireProtocol } from "../WireProtocol.js"
import * as IrcRender from "./IrcRender.js"
import * as IrcSession from "./IrcSession.js"

/** Unused: every frame goes to the connection's session. */
const parse = (text: string): Input | undefined =>
  text.trim() === "" ? undefined : Either.left(new UnknownCommand({ command: text.split(" ")[0]! }))

export interface IrcOptions {
  /** The server's name in every numeric and `PONG` (IRC's `servername`). */
  readonly serverName?: string | undefined
  /** The server password (`PASS`) every client must give, if any (`--irc-password`). */
  readonly password?: string | undefined
  /** The name and password of `OPER`, if any (`--irc-oper NAME:PASSWORD`). */
  readonly oper?: { readonly name: string; readonly password: string } | undefined
}

/** The IRC protocol, for a server named `serverName` (`chat.irc` by default). */
export const make = (options: IrcOptions = {}): WireProtocol => {
  const words = IrcRender.make(options.serverName ?? IrcRender.defaultServerName)
  return {
    name: "irc",
    framing: "stream",
    startIn: undefined,
    parse,
    render: words.render,
    session: () => IrcSession.make(words, { password: options.password, oper: options.oper })
  }
}

export const protocol: WireProtocol = make()
