/**
 * What every IRC end-to-end test file shares: after each test, every client
 * closed, every server started for the test stopped, and no line left
 * unread; and names that never meet, for tests that share one server.
 */
import { assert } from "@effect/vitest"
import { destroyAllIrcClients } from "./IrcClient.js"
import { destroyAllClients, takeStrayLines } from "./LineClient.js"
import { stopTestProcesses } from "./ServerProcess.js"

/** For `afterEach`: closes every client and per-test server; fails on a line nobody read. */
export const cleanUp = async (): Promise<void> => {
  destroyAllIrcClients()
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
}

/** A maker of fresh names (`stem` and a number unique to it), one per test file. */
export const freshNames = (): (stem: string) => string => {
  let counter = 0
  return (stem) => `${stem}${++counter}${Date.now() % 10000}`
}
