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

export const protocol: WireProtocol = {
  name: "irc",
  framing: "stream",
  startIn: undefined,
  parse,
  render: IrcRender.render,
  session: IrcSession.make
}
