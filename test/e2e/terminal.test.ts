/**
 * `chat connect` at a terminal, end to end: the real client in a real
 * pseudo-terminal (tmux), against a real server, with raw TCP clients as
 * the other people in the room. What is asserted is what the screen shows.
 *
 * Needs tmux; without it these tests are skipped (`.ci/run` installs it).
 */
import { afterAll, afterEach, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import {
  chatBin,
  freePort,
  sharedServer,
  startServer,
  stopAllProcesses,
  stopTestProcesses
} from "../support/ServerProcess.js"
import { closeAllPanes, hasTmux, TmuxPane } from "../support/Tmux.js"

if (!hasTmux) {
  console.warn(
    "test/e2e/terminal.test.ts: tmux is not installed, so the terminal tests are skipped (apt-get install tmux)"
  )
}

afterEach(async () => {
  await closeAllPanes()
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(stopAllProcesses)

const connect = (
  port: number,
  ...args: Array<string>
) => [process.execPath, chatBin, "connect", "--port", String(port), ...args]

/** The index of the row that is exactly `text`, or -1. */
const rowOf = (screen: ReadonlyArray<string>, text: string): number => screen.indexOf(text)

describe.skipIf(!hasTmux)("chat connect at a terminal", () => {
  it("shows a line that arrives mid-typing above the prompt, leaving the typed text whole", async () => {
    const server = await sharedServer()
    const [bob] = await LineClient.group(server.port, 1)
    const pane = await TmuxPane.start(connect(server.port, "--nick", "alice"), { columns: 100, rows: 20 })
    await pane.waitFor(
      "the prompt, after /who",
      (s) => s.includes("*** in #lobby: alice, guest-1") && s.includes("[alice #lobby] >")
    )
    assert.deepStrictEqual(await bob!.take(2), ["*** guest-2 joined #lobby", "*** guest-2 is now alice"])

    await pane.type("hello wor")
    await pane.waitFor("the partial line", (s) => s.includes("[alice #lobby] > hello wor"))
    bob!.send("knock knock")
    const screen = await pane.waitFor("bob's line", (s) => s.includes("<guest-1> knock knock"))

    const prompt = rowOf(screen, "[alice #lobby] > hello wor")
    assert.isAbove(prompt, 0, screen.join("\n"))
    assert.strictEqual(screen[prompt - 1], "<guest-1> knock knock")
    assert.strictEqual(screen.slice(prompt + 1).every((row) => row === ""), true)
    assert.deepStrictEqual(await pane.cursor(), { x: "[alice #lobby] > hello wor".length, y: prompt })

    await pane.type("ld")
    await pane.press("Enter")
    assert.strictEqual(await bob!.line(), "<alice> hello world")
    const sent = await pane.waitFor("the echo of alice's line", (s) => s.includes("<alice> hello world"))
    assert.deepStrictEqual(sent.slice(rowOf(sent, "<guest-1> knock knock"), rowOf(sent, "[alice #lobby] >") + 1), [
      "<guest-1> knock knock",
      "<alice> hello world",
      "[alice #lobby] >"
    ])

    await pane.press("C-d")
    assert.strictEqual(await pane.exited(), 0)
    assert.strictEqual(await bob!.line(), "*** alice left #lobby (quit)")
  })

  it("keeps the prompt up to date, completes with Tab, recalls with Up", async () => {
    const server = await sharedServer()
    const [bob] = await LineClient.group(server.port, 1)
    bob!.send("/nick bob")
    await bob!.line()
    const pane = await TmuxPane.start(connect(server.port), { columns: 80, rows: 20 })
    await pane.waitFor(
      "the prompt",
      (s) => s.includes("*** in #lobby: bob, guest-1") && s.includes("[guest-1 #lobby] >")
    )

    await pane.type("/ni")
    await pane.press("Tab")
    await pane.type("carol")
    await pane.press("Enter")
    await pane.waitFor("the new nick in the prompt", (s) => s.includes("[carol #lobby] >"))

    await pane.type("hi b")
    await pane.press("Tab")
    await pane.waitFor("the completed nick", (s) => s.includes("[carol #lobby] > hi bob"))
    await pane.press("Enter")
    assert.deepStrictEqual(await bob!.until((line) => line.startsWith("<carol>")), [
      "*** guest-1 joined #lobby",
      "*** guest-1 is now carol",
      "<carol> hi bob"
    ])

    await pane.type("/join dev")
    await pane.press("Enter")
    await pane.waitFor("the new room in the prompt", (s) => s.includes("[carol #dev] >"))
    await pane.press("Up", "Up")
    await pane.waitFor("the line before last", (s) => s.includes("[carol #dev] > hi bob"))
    await pane.press("C-u")
    await pane.type("/quit see you")
    await pane.press("Enter")
    assert.strictEqual(await pane.exited(), 0)
  })

  it("shows wide characters and long lines without breaking the prompt", async () => {
    const server = await sharedServer()
    const [bob] = await LineClient.group(server.port, 1)
    const pane = await TmuxPane.start(connect(server.port, "--nick", "alice"), { columns: 30, rows: 20 })
    await pane.waitFor("the prompt", (s) => s.includes("[alice #lobby] >"))

    // 17 columns of prompt, then 22 of input: the input wraps onto a second row.
    await pane.type("日本語 😀 emoji e\u0301 ok")
    await pane.press("Left", "Left", "Left")
    bob!.send("a long line from bob that has to wrap over several rows of this narrow terminal")
    const screen = await pane.waitFor("bob's line", (s) => s.some((row) => row.includes("narrow terminal")))
    const first = screen.findIndex((row) => row.startsWith("<guest-1> "))
    assert.deepStrictEqual(screen.slice(first, first + 5), [
      "<guest-1> a long line from bob",
      "          that has to wrap",
      "          over several rows of",
      "          this narrow terminal",
      "[alice #lobby] > 日本語 😀 emo"
    ], screen.join("\n"))
    assert.strictEqual(screen[first + 5], "ji e\u0301 ok")
    // The cursor is before " ok", on the second row of the input.
    assert.deepStrictEqual(await pane.cursor(), { x: 4, y: first + 5 })

    await pane.press("End", "Enter")
    assert.strictEqual(
      (await bob!.until((line) => line.startsWith("<alice>"))).at(-1),
      "<alice> 日本語 😀 emoji e\u0301 ok"
    )
  })

  it("redraws the prompt for the new width when the terminal is resized", async () => {
    const server = await sharedServer()
    const [bob] = await LineClient.group(server.port, 1)
    const pane = await TmuxPane.start(connect(server.port, "--nick", "alice"), { columns: 60, rows: 20 })
    await pane.waitFor("the prompt", (s) => s.includes("[alice #lobby] >"))
    await pane.type("a line long enough to be cut in two")
    await pane.waitFor("the typed line", (s) => s.includes("[alice #lobby] > a line long enough to be cut in two"))
    await pane.resize(30, 20)
    await pane.waitFor("the prompt at the new width", (s) => s.includes("[alice #lobby] > a line long e"))
    bob!.send("hello")
    const screen = await pane.waitFor("bob's line", (s) => s.includes("<guest-1> hello"))
    const at = rowOf(screen, "<guest-1> hello")
    // Nothing of the prompt as it was drawn at 60 columns is left above the line.
    assert.deepStrictEqual(screen.slice(at - 1, at + 3), [
      "*** in #lobby: alice, guest-1",
      "<guest-1> hello",
      "[alice #lobby] > a line long e",
      "nough to be cut in two"
    ], screen.join("\n"))
  })

  it("colours by kind and by nick, and not at all with NO_COLOR", async () => {
    const server = await sharedServer()
    const [bob] = await LineClient.group(server.port, 1)
    const coloured = await TmuxPane.start(connect(server.port, "--nick", "alice"), { env: { NO_COLOR: "" } })
    const plain = await TmuxPane.start(connect(server.port, "--nick", "carol"), { env: { NO_COLOR: "1" } })
    await coloured.waitFor("the prompt", (s) => s.includes("[alice #lobby] >"))
    await plain.waitFor("the prompt", (s) => s.includes("[carol #lobby] >"))
    bob!.send("hello")
    await coloured.type("/nick 9")
    await coloured.press("Enter")
    await coloured.waitFor(
      "bob's line and the error",
      (s) => s.includes("<guest-1> hello") && s.some((row) => row.startsWith("! "))
    )
    await plain.waitFor("bob's line", (s) => s.includes("<guest-1> hello"))

    // `capture-pane -e` writes an attribute where it changes, so these are the starts of styled runs.
    const colours = (await coloured.screen({ colour: true })).join("\n").replaceAll("\x1b", "ESC")
    assert.include(colours, "ESC[90m*** welcome to chat") // notices subdued
    assert.match(colours, /<ESC\[(3[2-6]|9[2-6])mguest-1ESC\[39m>/) // bob's nick in its colour
    assert.include(colours, "ESC[31m! ") // errors red
    assert.notInclude((await plain.screen({ colour: true })).join("\n"), "\x1b[")
  })

  it("leaves on Ctrl-C with the terminal restored", async () => {
    const server = await sharedServer()
    const [bob] = await LineClient.group(server.port, 1)
    const script = `${
      connect(server.port, "--nick", "alice").map((arg) => `'${arg}'`).join(" ")
    }; echo "exit=$?"; stty -a`
    const pane = await TmuxPane.start(["sh", "-c", script])
    await pane.waitFor("the prompt", (s) => s.includes("[alice #lobby] >"))
    await pane.type("half a thought")
    await pane.waitFor("the partial line", (s) => s.includes("[alice #lobby] > half a thought"))
    await pane.press("C-c")
    const screen = (await pane.waitFor("stty's settings", (s) => s.some((row) => row.includes("icanon")))).join("\n")
    assert.include(screen, "exit=0")
    assert.match(screen, /(^|\s)icanon(\s|$)/m)
    assert.match(screen, /(^|\s)echo(\s|$)/m)
    // The prompt and the unsent line are gone; the conversation stays.
    assert.notInclude(screen, "half a thought")
    assert.include(screen, "*** bye")
    assert.include(await bob!.until((line) => line.includes("left")), "*** alice left #lobby (quit)")
  })

  it("says in one line why the server went away, and exits 1", async () => {
    const server = await startServer()
    const pane = await TmuxPane.start(connect(server.port))
    await pane.waitFor("the prompt", (s) => s.includes("[guest-1 #lobby] >"))
    await pane.type("unsent")
    // Drawn before the server goes, so that its absence afterwards means something.
    await pane.waitFor("the typed text", (s) => s.includes("[guest-1 #lobby] > unsent"))
    await server.stop("SIGTERM")
    assert.strictEqual(await pane.exited(), 1)
    const screen = (await pane.screen()).filter((row) => row !== "" && !row.startsWith("Pane is dead"))
    assert.deepStrictEqual(screen.slice(-2), [
      "*** server shutting down",
      `chat: disconnected from 127.0.0.1:${server.port}: server shutting down`
    ])
    assert.notInclude(screen.join("\n"), "unsent")
  })

  it("with --reconnect, comes back when the server does, with its nick and room", async () => {
    const port = await freePort()
    const first = await startServer([], { port })
    const pane = await TmuxPane.start(connect(port, "--nick", "alice", "--reconnect"))
    await pane.waitFor("the prompt", (s) => s.includes("[alice #lobby] >"))
    await pane.type("/join dev")
    await pane.press("Enter")
    await pane.waitFor("the new room", (s) => s.includes("[alice #dev] >"))
    await pane.type("still typing")

    await first.stop("SIGTERM")
    await pane.waitFor(
      "the lost connection",
      (s) =>
        s.includes("*** connection lost: server shutting down; reconnecting") &&
        s.includes("[alice #dev offline] > still typing")
    )

    const second = await startServer([], { port })
    // Alice may be back first: the watcher must not need an empty server.
    const watcher = await LineClient.join(second.port)
    watcher.send("/join dev")
    await watcher.until((line) => line.startsWith("*** joined #dev"))
    const screen = await pane.waitFor("the restored session", (s) => s.includes("[alice #dev] > still typing"), 15_000)
    assert.include(screen, `*** reconnected to 127.0.0.1:${port}; taking back nick alice and room #dev`)
    assert.include(screen, "*** you are now alice")
    await pane.press("Enter")
    assert.include(await watcher.until((line) => line.startsWith("<")), "<alice> still typing")
    await pane.press("C-c")
    assert.strictEqual(await pane.exited(), 0)
  })
})
