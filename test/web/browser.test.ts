/**
 * The chat page in a real browser (Chromium, see support/Browser.ts) against
 * a real `chat serve --http-port`, with an `nc`-style TCP client in the same
 * rooms: what a person using the page sees.
 *
 * A screenshot of a conversation is saved to test-artifacts/ (gitignored).
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdirSync } from "node:fs"
import type { Page } from "playwright-core"
import { afterAll, afterEach } from "vitest"
import { closeAllBrowsers, hasChromium, openBrowser } from "../support/Browser.js"
import { destroyAllClients, LineClient } from "../support/LineClient.js"
import { freePort, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"
import { startWebServer } from "../support/WebServer.js"

const artifacts = new URL("../../test-artifacts/", import.meta.url)

afterEach(async () => {
  await closeAllBrowsers()
  destroyAllClients()
  await stopTestProcesses()
})
afterAll(async () => {
  await stopAllProcesses()
})

/** The browser's `getComputedStyle`, for functions run in the page (the tests' types have no DOM). */
interface Styles {
  readonly getComputedStyle: (element: unknown) => { readonly color: string }
}

const messageBox = (page: Page) => page.getByLabel("Message", { exact: true })
const log = (page: Page) => page.getByRole("log")

/** Opens the page, picks `nick`, and waits until it is in #lobby. */
const signIn = async (page: Page, url: string, nick: string): Promise<void> => {
  await page.goto(url)
  await page.getByRole("textbox", { name: "Nick" }).fill(nick)
  await page.getByRole("button", { name: "Chat" }).click()
  await log(page).getByText("you joined #lobby").waitFor()
  assert.strictEqual(await page.locator("#my-nick").textContent(), nick)
}

const type = async (page: Page, text: string): Promise<void> => {
  await messageBox(page).fill(text)
  await messageBox(page).press("Enter")
}

/** Waits until the log shows `text` (in one entry). */
const sees = (page: Page, text: string) =>
  log(page).locator("li", { hasText: text }).filter({ visible: true }).last().waitFor()

describe.skipIf(!hasChromium)("the chat page in Chromium", () => {
  it("two pages and an nc client in one room see each other's messages, actions and private messages", async () => {
    const server = await startWebServer()
    const alice = await openBrowser()
    const bob = await openBrowser()
    await signIn(alice.page, server.url, "alice")
    await signIn(bob.page, server.url, "bob")
    await sees(alice.page, "bob joined")
    const carol = await LineClient.join(server.port)
    carol.send("/nick carol")
    await carol.until((line) => line === "*** you are now carol")
    await sees(alice.page, "is now carol")

    await type(alice.page, "hi everyone, this is the web page")
    await sees(bob.page, "hi everyone, this is the web page")
    assert.strictEqual(await carol.line(), "<alice> hi everyone, this is the web page")

    carol.send("hello from nc!")
    await sees(alice.page, "hello from nc!")
    await sees(bob.page, "hello from nc!")

    await type(bob.page, "/me waves from another tab")
    await sees(alice.page, "* bob waves from another tab")
    assert.strictEqual(await carol.line(), "* bob waves from another tab")
    carol.send("/me waves back from a terminal")
    await sees(alice.page, "* carol waves back from a terminal")

    await type(alice.page, "/msg carol psst, coffee?")
    assert.strictEqual(await carol.line(), "[pm] <alice> psst, coffee?")
    await sees(alice.page, "private to carol psst, coffee?")
    carol.send("/msg alice yes, in 5")
    await sees(alice.page, "private from carol yes, in 5")
    await type(bob.page, "/msg alice are you two whispering?")
    await sees(alice.page, "private from bob are you two whispering?")
    // Private messages are set apart from the room's.
    assert.strictEqual(await log(alice.page).locator("li.private").count(), 3)
    assert.strictEqual(await log(bob.page).getByText("psst").count(), 0)

    // Members, coloured per nick, the same colour on both pages.
    const members = alice.page.locator("#member-list li")
    await members.filter({ hasText: "carol" }).waitFor()
    assert.deepStrictEqual(await members.allTextContents(), ["alice", "bob", "carol"])
    const colourOf = (page: Page) =>
      log(page).locator("li.message .nick", { hasText: "carol" }).first().evaluate((e) =>
        (globalThis as unknown as Styles).getComputedStyle(e).color
      )
    assert.strictEqual(await colourOf(alice.page), await colourOf(bob.page))

    // Enter sends, ↑ brings back what was sent.
    await messageBox(alice.page).press("ArrowUp")
    assert.strictEqual(await messageBox(alice.page).inputValue(), "/msg carol psst, coffee?")

    await type(alice.page, "see you at the coffee machine")
    await sees(bob.page, "see you at the coffee machine")
    mkdirSync(artifacts, { recursive: true })
    await alice.page.screenshot({ path: new URL("conversation.png", artifacts).pathname })
    assert.deepStrictEqual(alice.errors, [])
    assert.deepStrictEqual(bob.errors, [])
  }, 60_000)

  it("/join and the room list; history on join; notices folded", async () => {
    const server = await startWebServer()
    // Someone stays in #lobby, so it stays in the list.
    const lobbyist = await LineClient.join(server.port)
    const nc = await LineClient.join(server.port)
    await lobbyist.line()
    nc.send("/join kitchen")
    await nc.until((line) => line.startsWith("*** joined #kitchen"))
    nc.send("the kettle is on")
    await nc.sync()
    const { errors, page } = await openBrowser()
    await signIn(page, server.url, "dora")

    // The room list shows both rooms; the one you are in is marked.
    const rooms = page.locator("#room-list button")
    await rooms.filter({ hasText: "#kitchen" }).waitFor()
    assert.deepStrictEqual(await rooms.locator(".name").allTextContents(), ["#kitchen", "#lobby"])
    assert.strictEqual(await rooms.filter({ hasText: "#lobby" }).getAttribute("aria-current"), "true")

    await type(page, "/rooms")
    await sees(page, "rooms: #kitchen (1), #lobby (2)")

    await type(page, "/join kitchen")
    await sees(page, "you joined #kitchen (2 here)")
    // The room's history, on joining.
    await sees(page, "the kettle is on")
    assert.strictEqual(await nc.line(), "*** dora joined #kitchen")
    assert.strictEqual(await page.locator("#title").textContent(), "#kitchen")

    // Clicking a room in the list goes there.
    await rooms.filter({ hasText: "#lobby" }).click()
    await sees(page, "you joined #lobby")
    assert.strictEqual(await nc.line(), "*** dora left #kitchen (joined #lobby)")
    await rooms.filter({ hasText: "#kitchen" }).click()
    await sees(page, "you joined #kitchen")
    await nc.line()

    // A crowd coming and going folds into one entry.
    const crowd = await Promise.all(Array.from({ length: 6 }, () => LineClient.connect(server.port)))
    for (const client of crowd) client.send("/join kitchen")
    for (const client of crowd) client.send("/quit")
    await Promise.all(crowd.map((client) => client.closed()))
    await log(page).locator("li.notices summary", { hasText: "more" }).last().waitFor()
    const folded = log(page).locator("li.notices").last()
    assert.strictEqual(await folded.locator("details > ul > li").count(), 12)
    nc.send("still talking")
    await sees(page, "still talking")
    assert.deepStrictEqual(errors, [])
  }, 60_000)

  it("a \"new messages\" marker when scrolled up, and a button back down", async () => {
    const server = await startWebServer(["--rate", "0"])
    const { errors, page } = await openBrowser({ width: 900, height: 400 })
    await signIn(page, server.url, "hank")
    const nc = await LineClient.join(server.port)
    for (let i = 1; i <= 40; i++) nc.send(`line ${i}`)
    await sees(page, "line 40")
    assert.strictEqual(await page.locator("#log li.marker").count(), 0)
    await log(page).evaluate((e: { scrollTop: number }) => {
      e.scrollTop = 0
    })
    nc.send("while you were reading back")
    nc.send("and another")
    await sees(page, "and another")
    const marker = log(page).locator("li.marker")
    assert.strictEqual(await marker.textContent(), "new messages")
    // The marker sits right before the first message that arrived meanwhile.
    assert.match(
      String(
        await marker.evaluate((e: { nextElementSibling: { textContent: string | null } | null }) =>
          e.nextElementSibling?.textContent
        )
      ),
      /while you were reading back/
    )
    const jump = page.getByRole("button", { name: "New messages ↓" })
    assert.isTrue(await jump.isVisible())
    await jump.click()
    assert.isFalse(await jump.isVisible())
    assert.isTrue(await log(page).getByText("and another").isVisible())
    assert.deepStrictEqual(errors, [])
  }, 60_000)

  it("a nick or message made of <img onerror> and <script> shows as text", async () => {
    const server = await startWebServer()
    const { errors, page } = await openBrowser()
    await signIn(page, server.url, "eve")
    const nc = await LineClient.join(server.port)
    const attacks = [
      "<img src=x onerror=\"document.title='pwned'\">",
      "<script>document.title='pwned'</script>",
      "<b>bold?</b> &amp; &lt;"
    ]
    for (const attack of attacks) nc.send(attack)
    for (const attack of attacks) await sees(page, attack)
    await type(page, "/nick <img src=x onerror=alert(1)>")
    await sees(page, "invalid nick \"<img src=x onerror=alert(1)>\"")
    await type(page, "<script>alert(2)</script>")
    assert.strictEqual(await nc.line(), "<eve> <script>alert(2)</script>")
    await sees(page, "<script>alert(2)</script>")

    assert.strictEqual(await log(page).locator("img, script, b").count(), 0)
    assert.notStrictEqual(await page.title(), "pwned")
    assert.deepStrictEqual(errors, [])
  }, 60_000)

  it("after a server restart the page reconnects and takes back its nick and room", async () => {
    const port = await freePort()
    const httpPort = await freePort()
    const first = await startWebServer([], { port, httpPort })
    const { errors, page } = await openBrowser()
    await signIn(page, first.url, "frank")
    await type(page, "/join garden")
    await sees(page, "you joined #garden")

    const stopped = await first.stop("SIGTERM")
    assert.strictEqual(stopped.code, 0)
    await sees(page, "the server is shutting down")
    await page.locator("#status", { hasText: "offline" }).waitFor()

    const second = await startWebServer([], { port, httpPort })
    await page.locator("#status", { hasText: /^connected$/ }).waitFor({ timeout: 20_000 })
    const nc = await LineClient.join(second.port)
    nc.send("/join garden")
    const joined = await nc.until((line) => line.startsWith("*** joined #garden"))
    assert.strictEqual(joined[joined.length - 1], "*** joined #garden (2 here: frank, guest-1)")
    nc.send("welcome back")
    await sees(page, "welcome back")
    assert.strictEqual(await page.locator("#my-nick").textContent(), "frank")
    assert.deepStrictEqual(errors, [])
  }, 60_000)

  it("at phone width: one column, rooms and people behind buttons, nothing wider than the screen", async () => {
    const server = await startWebServer()
    const { errors, page } = await openBrowser({ width: 390, height: 760, mobile: true })
    await signIn(page, server.url, "gina")
    const nc = await LineClient.join(server.port)
    await sees(page, `${nc.nick} joined`)
    nc.send("a message that is long enough to wrap on a phone screen, which is narrow, as phones are")
    await sees(page, "as phones are")

    assert.isFalse(await page.locator("#rooms").isVisible())
    assert.isFalse(await page.locator("#people").isVisible())
    assert.isTrue(await messageBox(page).isVisible())
    const width = Number(await page.evaluate("document.documentElement.scrollWidth"))
    assert.isAtMost(width, 390)

    const roomsButton = page.getByRole("button", { name: "Rooms" })
    await roomsButton.click()
    assert.isTrue(await page.locator("#rooms").isVisible())
    assert.strictEqual(await roomsButton.getAttribute("aria-expanded"), "true")
    await page.keyboard.press("Escape")
    assert.isFalse(await page.locator("#rooms").isVisible())
    await page.getByRole("button", { name: "People" }).click()
    await page.locator("#member-list li", { hasText: nc.nick }).waitFor()

    // Keyboard only: the message box is reachable and sends with Enter.
    await page.keyboard.press("Escape")
    await messageBox(page).focus()
    await page.keyboard.type("typed on a phone")
    await page.keyboard.press("Enter")
    assert.strictEqual(await nc.line(), "<gina> typed on a phone")
    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: new URL("phone.png", artifacts).pathname })
    assert.deepStrictEqual(errors, [])
  }, 60_000)
})
