/**
 * Runs the real `chat` executable as a child process, for end-to-end tests
 * over TCP.
 *
 * - `startServer(args)` spawns `chat serve --port 0 ...args` and resolves once
 *   the server logs `listening on HOST:PORT` (never after a fixed sleep).
 * - `sharedServer(args)` is `startServer(args)` started once per test file
 *   and reused by its tests (starting a server costs about half a second).
 * - `runChat(args, { input })` runs a short-lived `chat` command (`connect`,
 *   a `serve` that must fail) to completion.
 *
 * Every child is tracked until it exits: call `stopTestProcesses` in an
 * `afterEach` and `stopAllProcesses` in an `afterAll`, so that no test leaves
 * a process behind, whatever it asserted.
 */
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import * as Net from "node:net"
import { fileURLToPath } from "node:url"

/** The `chat` executable of this repository, by absolute path. */
export const chatBin = fileURLToPath(new URL("../../bin/chat.js", import.meta.url))

/** How a child process ended. */
export interface Exit {
  /** The exit status; null when a signal killed the process. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface ServerProcess {
  readonly host: string
  readonly port: number
  readonly process: ChildProcess
  /** Everything the server wrote to stderr so far. */
  readonly stderr: () => string
  /** Resolves when the process exits. */
  readonly exited: Promise<Exit>
  /**
   * Sends `signal` (SIGTERM by default) and waits for the process to exit.
   * `ms` is the time from the signal to the exit.
   */
  readonly stop: (signal?: NodeJS.Signals) => Promise<Exit & { readonly ms: number }>
}

/**
 * How long a server may take to start listening before the test fails. The
 * test waits for the `listening on` line, so this costs nothing when the
 * machine is quick; it is long because a loaded 2-core machine (Chromium and
 * Redis tests beside) can take seconds just to start Node.
 */
const startTimeoutMs = 30_000

const running = new Set<ChildProcess>()
const shared = new Map<string, Promise<ServerProcess>>()
const sharedChildren = new Set<ChildProcess>()

const track = (child: ChildProcess): Promise<Exit> => {
  running.add(child)
  return new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child)
      sharedChildren.delete(child)
      resolve({ code, signal })
    })
  })
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

const kill = (children: ReadonlyArray<ChildProcess>): Promise<void> =>
  Promise.all(children.map((child) =>
    new Promise<void>((resolve) => {
      if (hasExited(child)) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })
  )).then(() => undefined)

/** Kills every child started for one test (not the shared servers), and waits for them to exit. */
export const stopTestProcesses = (): Promise<void> =>
  kill(Array.from(running).filter((child) => !sharedChildren.has(child)))

/** Kills every child this module started, shared servers included, and waits for them to exit. */
export const stopAllProcesses = (): Promise<void> => {
  shared.clear()
  return kill(Array.from(running))
}

// A last resort if the test runner itself goes away.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL")
})

const listening = /listening on (\S+):(\d+)/

/**
 * Spawns `chat serve --port 0 ...args` (or the given `port`, to start a
 * server again where clients expect it) and waits for its `listening on
 * HOST:PORT` line. Rejects, with what it wrote to stderr, if the server
 * exits or stays silent instead.
 */
export const startServer = (
  args: ReadonlyArray<string> = [],
  options: { readonly port?: number } = {}
): Promise<ServerProcess> => {
  const child = spawn(process.execPath, [chatBin, "serve", "--port", String(options.port ?? 0), ...args], {
    stdio: ["ignore", "ignore", "pipe"]
  })
  const exited = track(child)
  let stderr = ""
  child.stderr?.setEncoding("utf8")
  child.stderr?.on("data", (text: string) => {
    stderr += text
  })

  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const started = performance.now()
    if (!hasExited(child)) child.kill(signal)
    const exit = await exited
    return { ...exit, ms: performance.now() - started }
  }

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`chat serve did not log "listening on" within ${startTimeoutMs} ms; stderr:\n${stderr}`))
    }, startTimeoutMs)
    const onData = () => {
      const match = listening.exec(stderr)
      if (match === null) return
      clearTimeout(timer)
      child.stderr?.off("data", onData)
      resolve({ host: match[1]!, port: Number(match[2]), process: child, stderr: () => stderr, exited, stop })
    }
    child.stderr?.on("data", onData)
    void exited.then((exit) => {
      clearTimeout(timer)
      reject(new Error(`chat serve exited (${exit.code ?? exit.signal}) before listening; stderr:\n${stderr}`))
    })
  })
}

/**
 * A server with these options shared by the tests of one file: started on
 * first use, started again if it has exited. Tests that share it must leave
 * it as they found it (no clients): see `LineClient.group`.
 */
export const sharedServer = async (args: ReadonlyArray<string> = []): Promise<ServerProcess> => {
  const key = JSON.stringify(args)
  const existing = shared.get(key)
  if (existing !== undefined) {
    const server = await existing
    if (!hasExited(server.process)) return server
  }
  const starting = startServer(args)
  shared.set(key, starting)
  // A start that failed is not kept: the next test tries again and reports its own failure.
  starting.catch(() => shared.delete(key))
  const server = await starting
  sharedChildren.add(server.process)
  return server
}

export interface RunResult extends Exit {
  readonly stdout: string
  readonly stderr: string
  /** From spawning to the exit. */
  readonly ms: number
}

/**
 * Runs `chat ...args` to completion with `input` piped to its stdin (then
 * closed). Killed after `timeoutMs`, which the result then shows as a signal.
 */
export const runChat = (
  args: ReadonlyArray<string>,
  options: { readonly input?: string; readonly timeoutMs?: number } = {}
): Promise<RunResult> => {
  const started = performance.now()
  const child = spawn(process.execPath, [chatBin, ...args], { stdio: ["pipe", "pipe", "pipe"] })
  const exited = track(child)
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8")
  child.stdout?.on("data", (text: string) => {
    stdout += text
  })
  child.stderr?.setEncoding("utf8")
  child.stderr?.on("data", (text: string) => {
    stderr += text
  })
  // The child may exit before reading its input; that is not the test's failure.
  child.stdin?.on("error", () => {})
  child.stdin?.end(options.input ?? "")
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10_000)
  // `close` (not `exit`) so that all of stdout and stderr has been read.
  return new Promise<RunResult>((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      void exited.then(() => resolve({ code, signal, stdout, stderr, ms: performance.now() - started }))
    })
  })
}

/** A TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it). */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address()
      const port = address !== null && typeof address === "object" ? address.port : 0
      server.close(() => resolve(port))
    })
  })
