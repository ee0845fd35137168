/**
 * `chat serve --irc-port`, over real TCP: IRC clients register, join rooms,
 * and talk with line-protocol (`nc`) users in the same rooms, each side in
 * its own protocol. Errors are numerics, and what protects the server holds
 * for IRC too.
 */
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import type { Message } from "../support/IrcClient.js"
import { IrcClient, ircPortOf } from "../support/IrcClient.js"
import { cleanUp, freshNames } from "../support/IrcTests.js"
import { LineClient } from "../support/LineClient.js"
import { sharedServer, startServer, stopAllProcesses } from "../support/ServerProcess.js"

afterEach(cleanUp)
afterAll(stopAllProcesses)

const args = ["--irc-port", "0", "--rate", "0"]

/** The shared server's two ports. */
const ports = async () => {
  const server = await sharedServer(args)
  return { line: server.port, irc: await ircPortOf(server) }
}

const commands = (messages: ReadonlyArray<Message>): Array<string> => messages.map((m) => m.command)
const find = (messages: ReadonlyArray<Message>, command: string): Message => {
  const found = messages.find((m) => m.command === command)
  assert.isDefined(found, `no ${command} in ${messages.map((m) => m.raw).join(" | ")}`)
  return found
}

/** A fresh name per test, so tests sharing a server never meet. */
const fresh = freshNames()

describe("registration", () => {
  it("logs `irc listening on` after `listening on`", async () => {
    const server = await startServer(["--irc-port", "0"])
    await ircPortOf(server)
    const text = server.stderr()
    assert.isTrue(text.indexOf("irc listening on") > text.indexOf(" listening on"))
  })

  it("CAP LS 302, NICK, USER, CAP END: the welcome burst 001-005, LUSERS and 422", async () => {
    const { irc } = await ports()
    const client = await IrcClient.connect(irc)
    const nick = fresh("reg")
    client.send("CAP LS 302")
    const cap = await client.next()
    assert.deepStrictEqual([cap.command, cap.params[1]], ["CAP", "LS"])
    client.send(`NICK ${nick}`)
    client.send(`USER ${nick} 0 * :Real Name`)
    // Nothing until CAP END: registration waits for the negotiation.
    await client.quiet()
    client.send("CAP END")
    const burst = await client.upTo("422")
    assert.deepStrictEqual(commands(burst).slice(0, 5), ["001", "002", "003", "004", "005"])
    for (const message of burst) assert.strictEqual(message.params[0], nick)
    const isupport = find(burst, "005").params
    for (const token of ["CASEMAPPING=ascii", "CHANTYPES=#", "NICKLEN=24", "CHANNELLEN=33", "PREFIX=(ov)@+"]) {
      assert.include(isupport, token)
    }
    assert.isTrue(isupport.some((t) => t.startsWith("CHANLIMIT=")))
    assert.includeMembers(commands(burst), ["251", "255"])
  })

  it("a taken nick is 433, and the client may try another", async () => {
    const { irc } = await ports()
    const nick = fresh("taken")
    await IrcClient.register(irc, nick)
    const second = await IrcClient.connect(irc)
    second.send(`NICK ${nick}`)
    second.send("USER x 0 * :x")
    const refused = await second.next()
    assert.deepStrictEqual([refused.command, refused.params[1]], ["433", nick])
    second.send(`NICK ${nick}b`)
    const welcome = await second.next()
    assert.deepStrictEqual([welcome.command, welcome.params[0]], ["001", `${nick}b`])
  })

  it("commands before registration are 451; an invalid nick is 432", async () => {
    const { irc } = await ports()
    const client = await IrcClient.connect(irc)
    client.send("JOIN #lobby")
    assert.strictEqual((await client.next()).command, "451")
    client.send("NICK 9lives")
    assert.strictEqual((await client.next()).command, "432")
    client.send("PING early")
    const pong = await client.next()
    assert.deepStrictEqual([pong.command, pong.params.at(-1)], ["PONG", "early"])
  })

  it("QUIT before registering: ERROR, then the connection closes", async () => {
    const { irc } = await ports()
    const client = await IrcClient.connect(irc)
    client.send("QUIT")
    assert.deepStrictEqual(commands(await client.closed()), ["ERROR"])
  })
})

describe("PING and PONG", () => {
  it("answers a PING with a PONG carrying its token", async () => {
    const { irc } = await ports()
    const client = await IrcClient.register(irc, fresh("pinger"))
    client.send("PING :hello there")
    const pong = await client.next()
    assert.deepStrictEqual([pong.command, pong.params.at(-1)], ["PONG", "hello there"])
  })

  it("pings a quiet client, keeps one that answers, drops one that does not", async () => {
    const server = await startServer(["--irc-port", "0", "--idle-timeout", "800ms"])
    const irc = await ircPortOf(server)
    const alive = await IrcClient.register(irc, "alive")
    const dead = await IrcClient.register(irc, "dead")
    const ping = await alive.next()
    assert.strictEqual(ping.command, "PING")
    alive.send(`PONG :${ping.params.at(-1)}`)
    assert.strictEqual((await dead.next()).command, "PING")
    const last = await dead.closed()
    assert.strictEqual(last.at(-1)?.command, "ERROR")
    assert.isFalse(alive.isClosed)
  })
})

describe("IRC and line clients in the same rooms", () => {
  it("JOIN several channels, messages, actions, PART, NICK and QUIT both ways", async () => {
    const { irc, line } = await ports()
    const nc = await LineClient.join(line)
    const room = fresh("room")
    nc.send(`/join ${room}`)
    await nc.line()

    const nick = fresh("irc")
    const client = await IrcClient.register(irc, nick)
    client.send(`JOIN #${room},#${room}x`)
    const joined = await client.upTo("366")
    assert.deepStrictEqual(commands(joined), ["JOIN", "353", "366"])
    assert.strictEqual(joined[0]!.source?.split("!")[0], nick)
    assert.deepStrictEqual(find(joined, "353").params.at(-1)!.split(" ").sort(), [nick, nc.nick].sort())
    const second = await client.upTo("366")
    assert.deepStrictEqual(second[0]!.params, [`#${room}x`])
    assert.strictEqual(await nc.line(), `*** ${nick} joined #${room}`)

    // line → IRC
    nc.send("hello from nc")
    let message = await client.next()
    assert.deepStrictEqual(
      [message.source, message.command, message.params],
      [`${nc.nick}!${nc.nick}@chat`, "PRIVMSG", [`#${room}`, "hello from nc"]]
    )
    nc.send("/me waves")
    message = await client.next()
    assert.deepStrictEqual(message.params, [`#${room}`, "\u0001ACTION waves\u0001"])

    // IRC → line
    client.send(`PRIVMSG #${room} :hello from irc`)
    assert.strictEqual(await nc.line(), `<${nick}> hello from irc`)
    client.send(`PRIVMSG #${room} :\u0001ACTION dances\u0001`)
    assert.strictEqual(await nc.line(), `* ${nick} dances`)
    client.send(`NOTICE #${room} :a notice`)
    assert.strictEqual(await nc.line(), `<${nick}> a notice`)
    const watcher = await IrcClient.register(irc, fresh("watch"))
    watcher.send(`JOIN #${room}`)
    await watcher.upTo("366")
    await client.upTo("JOIN")
    await nc.line()
    client.send(`NOTICE #${room} :to irc`)
    assert.deepStrictEqual((await watcher.next()).command, "NOTICE")
    await nc.line()
    watcher.send("QUIT")
    await client.upTo("QUIT")
    await nc.line()

    // private messages
    client.send(`PRIVMSG ${nc.nick} :psst`)
    assert.strictEqual(await nc.line(), `[pm] <${nick}> psst`)
    nc.send(`/msg ${nick} hi back`)
    await nc.line()
    message = await client.next()
    assert.deepStrictEqual([message.command, message.params], ["PRIVMSG", [nick, "hi back"]])

    // renames
    const ncNick = fresh("ncuser")
    nc.send(`/nick ${ncNick}`)
    await nc.line()
    message = await client.next()
    assert.deepStrictEqual([message.source?.split("!")[0], message.command, message.params], [
      nc.nick,
      "NICK",
      [ncNick]
    ])
    client.send(`NICK ${nick}z`)
    message = await client.next()
    assert.deepStrictEqual([message.command, message.params], ["NICK", [`${nick}z`]])
    assert.strictEqual(await nc.line(), `*** ${nick} is now ${nick}z`)

    // PART one channel: the other stays
    client.send(`PART #${room} :see you`)
    message = await client.next()
    assert.deepStrictEqual([message.command, message.params], ["PART", [`#${room}`, "see you"]])
    assert.strictEqual(await nc.line(), `*** ${nick}z left #${room} (left: see you)`)
    client.send(`JOIN #${room}`)
    await client.upTo("366")
    await nc.line()

    // QUIT with a reason: ERROR, then closed; the room hears why
    client.send("QUIT :off to bed")
    const last = await client.closed()
    assert.strictEqual(last.at(-1)?.command, "ERROR")
    assert.strictEqual(await nc.line(), `*** ${nick}z left #${room} (quit: off to bed)`)
  })

  it("a line client leaving is a QUIT; moving to another room is a PART", async () => {
    const { irc, line } = await ports()
    const room = fresh("leave")
    const client = await IrcClient.register(irc, fresh("watcher"))
    client.send(`JOIN #${room}`)
    await client.upTo("366")
    const mover = await LineClient.join(line)
    mover.send(`/join ${room}`)
    await mover.line()
    assert.strictEqual((await client.next()).command, "JOIN")
    mover.send(`/join ${room}b`)
    let message = await client.next()
    assert.deepStrictEqual([message.command, message.params[0]], ["PART", `#${room}`])
    mover.send(`/join ${room}`)
    await client.next()
    mover.send("/quit bye all")
    message = await client.next()
    assert.deepStrictEqual([message.command, message.params], ["QUIT", ["Quit: bye all"]])
  })

  it("someone who shares two rooms with you quits or renames: you see it once", async () => {
    const { irc } = await ports()
    const room = fresh("twice")
    const watcher = await IrcClient.register(irc, fresh("w"))
    const other = await IrcClient.register(irc, fresh("o"))
    for (const client of [watcher, other]) {
      client.send(`JOIN #${room}a,#${room}b`)
      await client.upTo("366")
      await client.upTo("366")
    }
    await watcher.upTo("JOIN")
    await watcher.upTo("JOIN")
    other.send(`NICK ${fresh("renamed")}`)
    other.send("QUIT :done")
    await other.closed()
    const seen = await watcher.upTo("QUIT")
    assert.deepStrictEqual(commands(seen), ["NICK", "QUIT"])
    assert.deepStrictEqual(await watcher.sync(), [])
  })
})

describe("queries", () => {
  it("NAMES, WHO, WHOIS, LIST, LUSERS, TOPIC, MODE, AWAY, MOTD", async () => {
    const { irc, line } = await ports()
    const room = fresh("query")
    const nick = fresh("q")
    const client = await IrcClient.register(irc, nick)
    const nc = await LineClient.join(line)
    nc.send(`/join ${room}`)
    await nc.line()
    client.send(`JOIN #${room}`)
    await client.upTo("366")

    client.send(`NAMES #${room}`)
    let got = await client.upTo("366")
    assert.deepStrictEqual(find(got, "353").params.at(-1)!.split(" ").sort(), [nick, nc.nick].sort())

    client.send(`WHO #${room}`)
    got = await client.upTo("315")
    assert.deepStrictEqual(
      got.filter((m) => m.command === "352").map((m) => m.params[5]).sort(),
      [nick, nc.nick].sort()
    )

    client.send(`WHOIS ${nc.nick}`)
    got = await client.upTo("318")
    assert.deepStrictEqual(commands(got), ["311", "319", "312", "318"])
    assert.strictEqual(find(got, "319").params.at(-1), `#${room}`)

    // What an IRC client said of itself (USER) is shown; a line client is shown by its nick.
    client.send(`WHOIS ${nick}`)
    got = await client.upTo("318")
    assert.deepStrictEqual(find(got, "311").params, [nick, nick, nick, "chat", "*", `${nick} tester`])
    client.send(`WHO ${nick}`)
    got = await client.upTo("315")
    assert.deepStrictEqual(find(got, "352").params.slice(1), [
      "*",
      nick,
      "chat",
      "chat.irc",
      nick,
      "H",
      `0 ${nick} tester`
    ])

    client.send("LIST")
    got = await client.upTo("323")
    assert.deepInclude(got.filter((m) => m.command === "322").map((m) => m.params.slice(1, 3)), [`#${room}`, "2"])

    client.send("LUSERS")
    got = await client.upTo("266")
    assert.match(find(got, "251").params.at(-1)!, /^There are \d+ users/)

    client.send(`TOPIC #${room}`)
    assert.strictEqual((await client.next()).command, "331")
    // A topic is kept with the room: the setter sees it echoed, the room hears it, a newcomer gets it.
    client.send(`TOPIC #${room} :the \u0002plan\u0002`)
    const echoed = await client.next()
    assert.deepStrictEqual([echoed.command, echoed.params], ["TOPIC", [`#${room}`, "the plan"]])
    assert.strictEqual(
      (await nc.until((l) => l.includes("topic"))).at(-1),
      `*** ${nick} set the topic of #${room}: the plan`
    )
    client.send(`TOPIC #${room}`)
    assert.deepStrictEqual((await client.next()).params, [nick, `#${room}`, "the plan"])
    const newcomer = await IrcClient.register(irc, fresh("n"))
    newcomer.send(`JOIN #${room}`)
    assert.deepStrictEqual(commands(await newcomer.upTo("366")), ["JOIN", "332", "353", "366"])
    await client.next()
    await nc.line()
    client.send(`MODE #${room}`)
    assert.strictEqual((await client.next()).command, "324")
    client.send(`MODE ${nick}`)
    assert.strictEqual((await client.next()).command, "221")
    client.send("AWAY :lunch")
    assert.strictEqual((await client.next()).command, "306")
    // Away shows in WHO (G for gone) and WHOIS (301).
    client.send(`WHO ${nick}`)
    assert.strictEqual(find(await client.upTo("315"), "352").params[6], "G")
    client.send(`WHOIS ${nick}`)
    assert.deepStrictEqual(find(await client.upTo("318"), "301").params, [nick, nick, "lunch"])
    client.send("AWAY")
    assert.strictEqual((await client.next()).command, "305")
    client.send("MOTD")
    assert.strictEqual((await client.next()).command, "422")
  })
})

describe("errors are numerics, and the client stays", () => {
  it("421, 461, 442, 401, 403, 404, 432, 433, 411, 412", async () => {
    const { irc } = await ports()
    const nick = fresh("err")
    const client = await IrcClient.register(irc, nick)
    const other = fresh("taken")
    await IrcClient.register(irc, other)
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      ["FROBNICATE", ["421"]],
      ["JOIN", ["461"]],
      ["PART #nowhere", ["442"]],
      ["PRIVMSG nobody-here :hi", ["401"]],
      ["WHOIS nobody-here", ["401", "318"]],
      ["JOIN nochannel", ["403"]],
      ["PRIVMSG #notjoined :hi", ["404"]],
      ["NICK 1bad", ["432"]],
      [`NICK ${other}`, ["433"]],
      ["PRIVMSG", ["411"]],
      ["PRIVMSG #x", ["412"]],
      // A channel that does not exist: 403, as modern IRC says (RFC 2812 said 442).
      ["TOPIC #notjoined", ["403"]]
    ]
    for (const [sent, codes] of cases) {
      client.send(sent)
      const replies = await client.sync()
      assert.deepStrictEqual([sent, commands(replies)], [sent, codes])
      for (const reply of replies) assert.strictEqual(reply.params[0], nick)
    }
    // No automatic reply to a NOTICE.
    client.send("NOTICE #notjoined :hi")
    assert.deepStrictEqual(await client.sync(), [])
  })

  it("a line over 512 bytes is 417, and the client stays", async () => {
    const { irc, line } = await ports()
    const room = fresh("long")
    const nick = fresh("l")
    const client = await IrcClient.register(irc, nick)
    client.send(`JOIN #${room}`)
    await client.upTo("366")
    const nc = await LineClient.join(line)
    nc.send(`/join ${room}`)
    await nc.line()
    await client.next()
    client.send(`PRIVMSG #${room} :${"x".repeat(600)}`)
    assert.strictEqual((await client.next()).command, "417")
    client.send(`PRIVMSG #${room} :still here`)
    assert.strictEqual(await nc.line(), `<${nick}> still here`)
    // A long line from a line user reaches IRC as several messages, each within 512 bytes.
    nc.send("y".repeat(1500))
    const pieces = await client.until((m) => m.params.at(-1)!.length < 400)
    assert.isAbove(pieces.length, 1)
    for (const piece of pieces) assert.isAtMost(Buffer.byteLength(piece.raw) + 2, 512)
    assert.strictEqual(pieces.map((m) => m.params.at(-1)).join(""), "y".repeat(1500))
  })
})

describe("what protects the server", () => {
  it("control characters and IRC formatting codes are removed from relayed text", async () => {
    const { irc, line } = await ports()
    const room = fresh("ctl")
    const nick = fresh("c")
    const client = await IrcClient.register(irc, nick)
    client.send(`JOIN #${room}`)
    await client.upTo("366")
    const nc = await LineClient.join(line)
    nc.send(`/join ${room}`)
    await nc.line()
    await client.next()
    client.send(`PRIVMSG #${room} :\u0002bold\u0002 \u000304,05red\u0003 \u001funder\u001f \u001b[31mansi`)
    assert.strictEqual(await nc.line(), `<${nick}> bold red under [31mansi`)
  })

  it("flood control delays an IRC client's lines past its burst, and drops none", async () => {
    const server = await startServer(["--irc-port", "0", "--rate", "20", "--burst", "3"])
    const irc = await ircPortOf(server)
    const flooder = await IrcClient.register(irc, "flooder")
    flooder.send("JOIN #lobby")
    await flooder.upTo("366")
    const nc = await LineClient.join(server.port)
    await flooder.upTo("JOIN")
    const started = performance.now()
    flooder.socket.write(Array.from({ length: 12 }, (_, i) => `PRIVMSG #lobby :line ${i}\r\n`).join(""))
    const got = await nc.take(12)
    assert.deepStrictEqual(got, Array.from({ length: 12 }, (_, i) => `<flooder> line ${i}`))
    // 9 lines past the burst of 3, at 20 a second.
    assert.isAtLeast(performance.now() - started, 400)
  })

  it("an IRC client that stops reading is cut off (too slow); the room hears it", async () => {
    const server = await startServer(["--irc-port", "0", "--rate", "0", "--max-queue", "100"])
    const irc = await ircPortOf(server)
    const slow = await IrcClient.register(irc, "slow")
    slow.send("JOIN #lobby")
    await slow.upTo("366")
    const nc = await LineClient.join(server.port)
    await slow.upTo("JOIN")
    slow.socket.pause()
    const text = "z".repeat(3000)
    const flood = Array.from({ length: 4000 }, (_, i) => `${i} ${text}\n`).join("")
    void nc.write(flood)
    await nc.until((line) => line === "*** slow left #lobby (too slow)", 30_000)
  }, 40_000)

  it("past --max-clients an IRC client gets ERROR :server full", async () => {
    const server = await startServer(["--irc-port", "0", "--max-clients", "1"])
    const irc = await ircPortOf(server)
    await IrcClient.register(irc, "first")
    const refused = await IrcClient.connect(irc)
    const last = await refused.closed()
    assert.deepStrictEqual(last.map((m) => m.raw), ["ERROR :server full"])
  })

  it("shutting down: ERROR :server shutting down, then closed", async () => {
    const server = await startServer(["--irc-port", "0"])
    const irc = await ircPortOf(server)
    const client = await IrcClient.register(irc, "stayer")
    client.send("JOIN #lobby")
    await client.upTo("366")
    void server.stop()
    const last = await client.closed()
    assert.deepStrictEqual(last.map((m) => m.raw), ["ERROR :server shutting down"])
  })
})
