/**
 * A program running in a real pseudo-terminal, for end-to-end tests of
 * `chat connect` at a terminal: tmux runs it in a pane of a fixed size,
 * `type` and `press` send keys as a person would, and `screen` is what the
 * pane shows (`capture-pane`). Tests wait for what they expect to see with
 * `waitFor`, which polls the screen for a bounded time, never a blind sleep.
 *
 * Each pane has a tmux server of its own (a private socket), so tests run
 * side by side and never touch the user's tmux. The pane stays after the
 * program exits, so its last screen and exit status can be read; `close`
 * kills the server. Call `closeAllPanes` after each test.
 */
import { execFile, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** Whether tmux can be run here; the terminal tests are skipped without it. */
export const hasTmux: boolean = spawnSync("tmux", ["-V"], { stdio: "ignore" }).status === 0

const defaultWaitMs = 10_000
const pollMs = 25

const open = new Set<TmuxPane>()
let counter = 0

const config = (): string => {
  const file = Path.join(Os.tmpdir(), `chat-test-tmux-${process.pid}.conf`)
  // No status line, so the pane is the whole window; the pane outlives its program.
  Fs.writeFileSync(file, "set -g status off\nset -g remain-on-exit on\nset -g history-limit 1000\n")
  return file
}

const run = (args: ReadonlyArray<string>): Promise<string> =>
  new Promise<string>((resolve, reject) => {
    execFile("tmux", args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`tmux ${args.join(" ")}: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })

export interface PaneOptions {
  readonly columns?: number
  readonly rows?: number
  /** Extra environment for the program (`NO_COLOR`…). */
  readonly env?: Readonly<Record<string, string>>
}

export interface Cursor {
  readonly x: number
  readonly y: number
}

export class TmuxPane {
  private constructor(private readonly socket: string, private readonly statusFile: string) {}

  /** Runs `argv` in a new pane of `columns` × `rows`, 100 × 20 by default. */
  static async start(argv: ReadonlyArray<string>, options: PaneOptions = {}): Promise<TmuxPane> {
    const name = `chat-test-${process.pid}-${++counter}`
    const pane = new TmuxPane(name, Path.join(Os.tmpdir(), `${name}.status`))
    await Fs.promises.rm(pane.statusFile, { force: true })
    open.add(pane)
    const env = Object.entries(options.env ?? {}).flatMap(([name, value]) => ["-e", `${name}=${value}`])
    await run([
      "-L",
      pane.socket,
      "-f",
      config(),
      "new-session",
      "-d",
      "-s",
      "chat",
      "-x",
      String(options.columns ?? 100),
      "-y",
      String(options.rows ?? 20),
      // tmux's own `pane_dead_status` is sometimes never set (3.3a), so a shell writes the status down.
      ...env,
      "--",
      "sh",
      "-c",
      "\"$@\"; echo $? > \"$0\"",
      pane.statusFile,
      ...argv
    ])
    return pane
  }

  /** Types `text` literally. */
  async type(text: string): Promise<void> {
    await run(["-L", this.socket, "send-keys", "-t", "chat", "-l", text])
  }

  /** Presses keys by tmux's names: `Enter`, `Tab`, `Up`, `C-c`, `C-d`. */
  async press(...keys: Array<string>): Promise<void> {
    await run(["-L", this.socket, "send-keys", "-t", "chat", ...keys])
  }

  /** Makes the window `columns` × `rows`, as a person resizing the terminal would. */
  async resize(columns: number, rows: number): Promise<void> {
    await run(["-L", this.socket, "resize-window", "-t", "chat", "-x", String(columns), "-y", String(rows)])
  }

  /** The rows the pane shows, without trailing blanks; with `colour`, with their SGR sequences. */
  async screen(options: { readonly colour?: boolean } = {}): Promise<Array<string>> {
    const text = await run(["-L", this.socket, "capture-pane", "-p", ...(options.colour ? ["-e"] : []), "-t", "chat"])
    return text.replace(/\n$/, "").split("\n").map((row) => row.trimEnd())
  }

  async cursor(): Promise<Cursor> {
    const [x, y] = (await run(["-L", this.socket, "display-message", "-p", "-t", "chat", "#{cursor_x} #{cursor_y}"]))
      .trim().split(" ").map(Number)
    return { x: x!, y: y! }
  }

  /** The program's exit status once it has exited, else undefined. */
  async exitStatus(): Promise<number | undefined> {
    const status = await Fs.promises.readFile(this.statusFile, "utf8").catch(() => "")
    return status.endsWith("\n") ? Number(status.trim()) : undefined
  }

  /** Polls the screen until `predicate` holds, and returns that screen; fails with the last screen after `waitMs`. */
  async waitFor(
    what: string,
    predicate: (screen: Array<string>) => boolean,
    waitMs = defaultWaitMs
  ): Promise<Array<string>> {
    const deadline = performance.now() + waitMs
    let screen = await this.screen()
    while (!predicate(screen)) {
      if (performance.now() > deadline) {
        throw new Error(`waited ${waitMs} ms for the screen to show ${what}; it shows:\n${screen.join("\n")}`)
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
      screen = await this.screen()
    }
    return screen
  }

  /** Waits for the program to exit, and returns its exit status. */
  async exited(waitMs = defaultWaitMs): Promise<number> {
    const deadline = performance.now() + waitMs
    while (true) {
      const status = await this.exitStatus()
      if (status !== undefined) return status
      if (performance.now() > deadline) {
        throw new Error(
          `waited ${waitMs} ms for the program to exit; the screen shows:\n${(await this.screen()).join("\n")}`
        )
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
  }

  async close(): Promise<void> {
    open.delete(this)
    await run(["-L", this.socket, "kill-server"]).catch(() => undefined)
    await Fs.promises.rm(this.statusFile, { force: true })
  }
}

/** Kills every pane's tmux server (and so its program). */
export const closeAllPanes = async (): Promise<void> => {
  await Promise.all(Array.from(open, (pane) => pane.close()))
}
