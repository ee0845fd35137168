/**
 * Waiting for a server's log lines (its stderr), for tests that start a
 * listener besides the first (`tls listening on`) or wait for something the
 * server only logs (a reload, a refused address).
 */
import type { ServerProcess } from "./ServerProcess.js"

/** Resolves with the first match of `pattern` in what the server logged, polling; rejects after `waitMs`. */
export const waitForLog = async (server: ServerProcess, pattern: RegExp, waitMs = 10_000): Promise<RegExpExecArray> => {
  const deadline = performance.now() + waitMs
  while (true) {
    const match = pattern.exec(server.stderr())
    if (match !== null) return match
    if (performance.now() > deadline) {
      throw new Error(`the server did not log ${pattern} within ${waitMs} ms; stderr:\n${server.stderr()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** How many times the server logged something matching `pattern` (which must have the `g` flag). */
export const countLogs = (server: ServerProcess, pattern: RegExp): number => server.stderr().match(pattern)?.length ?? 0
