/**
 * A real `redis-server` (Debian's) for the cluster tests, on a free port,
 * without persistence: started by the tests themselves and stopped by them.
 *
 * - `startRedis()` resolves once Redis logs `Ready to accept connections`.
 * - `redis.cli(...args)` runs one command through a fresh connection
 *   (`CLIENT PAUSE`, `CLIENT KILL TYPE pubsub`, `FLUSHALL`...).
 * - `stop()` / `restart()` / `signal("SIGSTOP")` make the faults.
 */
import { Redis } from "ioredis"
import type { ChildProcess } from "node:child_process"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Whether the tests can run here: Debian's `redis-server` is on the PATH. */
export const hasRedis = spawnSync("redis-server", ["--version"]).status === 0

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** One command on a fresh connection. */
  readonly cli: (...args: ReadonlyArray<string | number>) => Promise<unknown>
  readonly signal: (signal: NodeJS.Signals) => void
  /** Stops Redis and waits for it to exit. */
  readonly stop: () => Promise<void>
  /** Starts Redis again on the same port, empty. */
  readonly restart: () => Promise<void>
  /** Kills Redis; resolves once it is down, with its return, empty, `downMs` later. */
  readonly outage: (downMs: number) => Promise<{ readonly back: Promise<void> }>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const running = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL")
})

const launch = (port: number, dir: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir
    ], { stdio: ["ignore", "pipe", "pipe"] })
    running.add(child)
    let out = ""
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000)
    child.stdout?.setEncoding("utf8")
    child.stdout?.on("data", (text: string) => {
      out += text
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.once("exit", () => {
      running.delete(child)
      clearTimeout(timer)
      reject(new Error(`redis-server exited:\n${out}`))
    })
  })

const exit = (child: ChildProcess, signal: NodeJS.Signals): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill(signal)
  })

export const startRedis = async (): Promise<RedisServer> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "chat-redis-"))
  let child = await launch(port, dir)
  const url = `redis://127.0.0.1:${port}`
  return {
    port,
    url,
    cli: async (...args) => {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
      await redis.connect()
      const [command, ...rest] = args
      const result: unknown = await redis.call(String(command), ...rest)
      redis.disconnect()
      return result
    },
    signal: (signal) => {
      child.kill(signal)
    },
    stop: async () => {
      child.kill("SIGCONT")
      await exit(child, "SIGKILL")
      rmSync(dir, { recursive: true, force: true })
    },
    restart: async () => {
      child.kill("SIGCONT")
      await exit(child, "SIGKILL")
      child = await launch(port, dir)
    },
    outage: async (downMs) => {
      child.kill("SIGCONT")
      await exit(child, "SIGKILL")
      const back = new Promise<void>((resolve) => setTimeout(resolve, downMs)).then(async () => {
        child = await launch(port, dir)
      })
      return { back }
    }
  }
}
