/**
 * A real browser for the web page's tests: Debian's Chromium, driven by
 * playwright-core (pinned to the release built for it). Nothing is ever
 * downloaded: without /usr/bin/chromium the browser tests are skipped.
 *
 * Each `open` is a fresh profile (its own user-data-dir, so its own
 * localStorage), removed when it closes; `closeAllBrowsers` closes what a
 * test left open.
 */
import { existsSync, mkdtempSync } from "node:fs"
import { rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import { chromium } from "playwright-core"

export const chromiumPath = "/usr/bin/chromium"

/** Whether Chromium is installed here; `.ci/run` installs it when it can. */
export const hasChromium: boolean = existsSync(chromiumPath)

const args = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** Open contexts and their profiles, removed once the browser has exited. */
const open = new Map<BrowserContext, string>()

export interface BrowserPage {
  readonly context: BrowserContext
  readonly page: Page
  /** Errors the page threw, and console errors: a test expects none. */
  readonly errors: Array<string>
}

/** A fresh browser profile with one page, in the dark theme, `width` × `height`. */
export const openBrowser = async (
  options: { readonly width?: number; readonly height?: number; readonly mobile?: boolean } = {}
): Promise<BrowserPage> => {
  const profile = mkdtempSync(join(tmpdir(), "chat-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    args,
    viewport: { width: options.width ?? 1100, height: options.height ?? 650 },
    colorScheme: "dark",
    isMobile: options.mobile ?? false,
    hasTouch: options.mobile ?? false
  })
  open.set(context, profile)
  const page = context.pages()[0] ?? await context.newPage()
  const errors: Array<string> = []
  page.on("pageerror", (error) => errors.push(error.message))
  page.on("console", (message) => {
    // A WebSocket that fails while the server restarts is expected, and said so in the console.
    if (message.type() === "error" && !message.text().includes("WebSocket")) errors.push(message.text())
  })
  return { context, page, errors }
}

export const closeAllBrowsers = async (): Promise<void> => {
  const closing = Array.from(open)
  open.clear()
  await Promise.all(closing.map(async ([context, profile]) => {
    await context.close()
    // Chromium may still be writing its profile as it exits: retried, not ignored.
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  }))
}
