/**
 * What the benchmarks read of the processes they start, and how they start
 * them: CPU time and resident memory from /proc, a free port, waiting for a
 * line a process logs, and a throwaway Redis. Shared by run.ts, cluster.ts,
 * cluster-profile.ts and redis-capacity.ts.
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Clock ticks per second of /proc/PID/stat's times (Linux's USER_HZ). */
const ticksPerSecond = 100

/** User plus system CPU time of a process so far, in milliseconds. */
export const cpuMillis = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  // After the command name, which may hold spaces, in parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

/** Resident memory of a process, in KiB. */
export const rssKiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0)

/** A port free on 127.0.0.1 now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const address = server.address() as Net.AddressInfo
      server.close(() => resolve(address.port))
    })
  })

/** Waits until a process has logged a line matching `pattern`; fails if it exits first. */
export const waitForLine = (
  child: ChildProcess,
  stream: "stdout" | "stderr",
  pattern: RegExp
): Promise<RegExpExecArray> =>
  new Promise((resolve, reject) => {
    let log = ""
    child[stream]!.on("data", (data: Buffer) => {
      log += data.toString()
      const match = pattern.exec(log)
      if (match !== null) resolve(match)
    })
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${log}`)))
  })

/** A throwaway `redis-server` on a free port, persisting nothing; stop it by killing `child`. */
export const startRedis = async (): Promise<{ readonly child: ChildProcess; readonly url: string }> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "chat-bench-redis-"))
  const child = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "ignore"]
  })
  await waitForLine(child, "stdout", /Ready to accept connections/)
  return { child, url: `redis://127.0.0.1:${port}` }
}
