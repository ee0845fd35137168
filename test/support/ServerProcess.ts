/**
 * Runs the real `chat` executable as a child process, for end-to-end tests
 * over TCP.
 *
 * - `startServer(args)` spawns `chat serve --port 0 ...args` and resolves once
 *   the server logs `listening on HOST:PORT` (never after a fixed sleep).
 * - `runChat(args, input)` runs a short-lived `chat` command to completion.
 *
 * Every child is tracked until it exits: call `stopAllProcesses` in an
 * `afterEach`, so that no test leaves a process behind, whatever it asserted.
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

/** How long a server may take to start listening before the test fails. */
const startTimeoutMs = 10_000

const running = new Set<ChildProcess>()

const track = (child: ChildProcess): Promise<Exit> => {
  running.add(child)
  return new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  })
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null

/** Kills every child this module started that is still running, and waits for them to exit. */
export const stopAllProcesses = async (): Promise<void> => {
  const children = Array.from(running)
  await Promise.all(children.map((child) =>
    new Promise<void>((resolve) => {
      if (hasExited(child)) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })
  ))
}

// A last resort if the test runner itself goes away.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL")
})

const listening = /listening on (\S+):(\d+)/

/**
 * Spawns `chat serve --port 0 ...args` and waits for its `listening on
 * HOST:PORT` line. Rejects, with what it wrote to stderr, if the server
 * exits or stays silent instead.
 */
export const startServer = (args: ReadonlyArray<string> = []): Promise<ServerProcess> => {
  const child = spawn(process.execPath, [chatBin, "serve", "--port", "0", ...args], {
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
