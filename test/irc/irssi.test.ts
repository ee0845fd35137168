/**
 * A real IRC client: irssi in a terminal (tmux), on `chat serve
 * --irc-port`, in the same rooms as `nc`-style line clients. It connects,
 * joins two channels, talks both ways (messages and `/me`), parts one and
 * quits, as a person would type it.
 */
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { ircPortOf } from "../support/IrcClient.js"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { startServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"
import { closeAllPanes, hasTmux, TmuxPane } from "../support/Tmux.js"

const hasIrssi = spawnSync("irssi", ["--version"], { stdio: "ignore" }).status === 0

if (!hasTmux || !hasIrssi) {
  console.warn("test/irc/irssi.test.ts: tmux or irssi is not installed, so the irssi test is skipped")
}

const homes: Array<string> = []

afterEach(async () => {
  await closeAllPanes()
  destroyAllClients()
  await stopTestProcesses()
  for (const home of homes.splice(0)) Fs.rmSync(home, { recursive: true, force: true })
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(stopAllProcesses)

const shows = (text: string) => (screen: ReadonlyArray<string>) => screen.some((row) => row.includes(text))

describe.skipIf(!hasTmux || !hasIrssi)("irssi", () => {
  it("connects, joins two channels, talks with nc users, parts one and quits", async () => {
    const server = await startServer(["--irc-port", "0"])
    const irc = await ircPortOf(server)
    const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chat-irssi-"))
    homes.push(home)
    const lobby = await LineClient.join(server.port)
    const other = await LineClient.join(server.port)
    other.send("/join other")
    await other.line()
    await lobby.until((line) => line.includes("left #lobby"))

    const irssi = await TmuxPane.start(
      ["irssi", `--home=${home}`, "-c", "127.0.0.1", "-p", String(irc), "-n", "alice"],
      { columns: 100, rows: 30 }
    )
    await irssi.waitFor("the welcome", shows("Welcome to the chat IRC network"))
    await irssi.type("/join #lobby,#other")
    await irssi.press("Enter")
    assert.strictEqual(await lobby.line(), "*** alice joined #lobby")
    assert.strictEqual(await other.line(), "*** alice joined #other")

    await irssi.type("/window goto #lobby")
    await irssi.press("Enter")
    await irssi.waitFor("the lobby's members", shows(lobby.nick))
    lobby.send("hi alice from nc")
    await irssi.waitFor("the nc user's message", shows(`< ${lobby.nick}> hi alice from nc`))
    lobby.send("/me waves")
    await irssi.waitFor("the nc user's action", shows(`* ${lobby.nick} waves`))

    await irssi.type("hello nc")
    await irssi.press("Enter")
    assert.strictEqual(await lobby.line(), "<alice> hello nc")
    await irssi.type("/me smiles")
    await irssi.press("Enter")
    assert.strictEqual(await lobby.line(), "* alice smiles")

    await irssi.type("/part #other")
    await irssi.press("Enter")
    assert.match(await other.line(), /^\*\*\* alice left #other \(left/)

    await irssi.type("/quit going home")
    await irssi.press("Enter")
    assert.strictEqual(await lobby.line(), "*** alice left #lobby (quit: going home)")
    assert.strictEqual(await irssi.exited(), 0)
  })
})
