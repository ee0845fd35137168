/**
 * Over real TCP, what IRC clients and the conformance suite (irctest) look
 * for beyond talking: channel operators (`@`) for a channel's creator, WHOX
 * (`WHO nick %fields,token`), LIST filters (ELIST), a server password
 * (`PASS`, `--irc-password`), UTF-8 only, and 403 for a channel that does
 * not exist, WHO masks, and IRC operators (`OPER`, `--irc-oper`).
 */
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import type { Message } from "../support/IrcClient.js"
import { IrcClient, ircPortOf } from "../support/IrcClient.js"
import { cleanUp, freshNames } from "../support/IrcTests.js"
import { sharedServer, startServer, stopAllProcesses } from "../support/ServerProcess.js"

afterEach(cleanUp)
afterAll(stopAllProcesses)

const args = ["--irc-port", "0", "--rate", "0", "--irc-oper", "boss:hunter2"]
const ircPort = async () => ircPortOf(await sharedServer(args))

const fresh = freshNames()

const only = (messages: ReadonlyArray<Message>, command: string): Array<Message> =>
  messages.filter((m) => m.command === command)

describe("channel operators", () => {
  it("the creator of a channel is @ in NAMES, WHO and WHOIS; who joins later is not", async () => {
    const port = await ircPort()
    const [op, other, chan] = [fresh("op"), fresh("late"), `#${fresh("ops")}`]
    const a = await IrcClient.register(port, op)
    const b = await IrcClient.register(port, other)
    a.send(`JOIN ${chan}`)
    const created = await a.upTo("366")
    assert.strictEqual(only(created, "353")[0]!.params.at(-1), `@${op}`)
    b.send(`JOIN ${chan}`)
    const joined = await b.upTo("366")
    assert.deepStrictEqual(only(joined, "353")[0]!.params.at(-1)!.split(" ").sort(), [`@${op}`, other].sort())

    b.send(`WHO ${chan}`)
    const who = await b.upTo("315")
    const flags = new Map(only(who, "352").map((m) => [m.params[5], m.params[6]]))
    assert.deepStrictEqual([flags.get(op), flags.get(other)], ["H@", "H"])

    b.send(`WHOIS ${op}`)
    const whois = await b.upTo("318")
    assert.strictEqual(only(whois, "319")[0]!.params.at(-1), `@${chan}`)

    // With userhost-in-names the prefix stays in front of nick!user@host.
    const c = await IrcClient.connect(port)
    const third = fresh("uh")
    c.send("CAP REQ :userhost-in-names")
    c.send(`NICK ${third}`)
    c.send(`USER ${third} 0 * :x`)
    c.send("CAP END")
    await c.upTo("422")
    c.send(`NAMES ${chan}`)
    const names = await c.upTo("366")
    assert.include(only(names, "353")[0]!.params.at(-1)!.split(" "), `@${op}!${op}@chat`)

    // The operator leaves: nobody is @ any more.
    a.send(`PART ${chan}`)
    await a.upTo("PART")
    b.send(`NAMES ${chan}`)
    const after = await b.upTo("366")
    assert.strictEqual(only(after, "353")[0]!.params.at(-1), other)
  })
})

describe("WHOX", () => {
  it("is in ISUPPORT, with ELIST and UTF8ONLY, and no 005 line has more than 15 parameters", async () => {
    const port = await ircPort()
    const client = await IrcClient.connect(port)
    const nick = fresh("isup")
    client.send(`NICK ${nick}`)
    client.send(`USER ${nick} 0 * :x`)
    const burst = await client.upTo("422")
    const lines = only(burst, "005")
    for (const line of lines) assert.isAtMost(line.params.length, 15)
    const tokens = lines.flatMap((m) => m.params.slice(1, -1))
    assert.includeMembers(tokens, ["WHOX", "ELIST=MNU", "UTF8ONLY", "CASEMAPPING=ascii"])
  })

  it("WHO nick %fields,token answers 354 with those fields in WHOX's order, then 315", async () => {
    const port = await ircPort()
    const [asker, target, chan] = [fresh("ask"), fresh("tgt"), `#${fresh("whox")}`]
    const a = await IrcClient.register(port, asker)
    const t = await IrcClient.connect(port)
    t.send(`NICK ${target}`)
    t.send(`USER someuser 0 * :Some Real Name`)
    await t.upTo("422")
    t.send(`JOIN ${chan}`)
    await t.upTo("366")

    a.send(`WHO ${target} %tcuihsnfdlaor,123`)
    const full = await a.upTo("315")
    assert.deepStrictEqual(full.map((m) => m.command), ["354", "315"])
    assert.deepStrictEqual(full[0]!.params, [
      asker,
      "123",
      "*",
      "someuser",
      "255.255.255.255",
      "chat",
      "chat.irc",
      target,
      "H",
      "0",
      "0",
      "0",
      "n/a",
      "Some Real Name"
    ])
    assert.deepStrictEqual(full[1]!.params.slice(0, 2), [asker, target])

    // Asked in another order, with only a token and the nick: the same order back.
    a.send(`WHO ${target} %nt,7`)
    const brief = await a.upTo("315")
    assert.deepStrictEqual(brief[0]!.params, [asker, "7", target])

    // On a channel: a line per member, the creator flagged `@`.
    a.send(`WHO ${chan} %cnf`)
    const members = await a.upTo("315")
    assert.deepStrictEqual(members[0]!.params, [asker, chan, target, "H@"])

    // A plain WHO afterwards is 352 again.
    a.send(`WHO ${target}`)
    const plain = await a.upTo("315")
    assert.deepStrictEqual(plain.map((m) => m.command), ["352", "315"])
  })
})

describe("LIST filters (ELIST=MNU)", () => {
  it("masks, negated masks, names and user counts", async () => {
    const port = await ircPort()
    const stem = fresh("lst")
    const a = await IrcClient.register(port, fresh("la"))
    const b = await IrcClient.register(port, fresh("lb"))
    a.send(`JOIN #${stem}one,#${stem}two`)
    await a.upTo("366")
    await a.upTo("366")
    b.send(`JOIN #${stem}two`)
    await b.upTo("366")

    const list = async (query: string): Promise<Array<string>> => {
      b.send(`LIST ${query}`)
      const got = await b.upTo("323")
      // The shared server may have other tests' channels: only this test's count.
      return only(got, "322").map((m) => m.params[1]!).filter((c) => c.startsWith(`#${stem}`)).sort()
    }
    assert.deepStrictEqual(await list(`#${stem}o*`), [`#${stem}one`])
    assert.deepStrictEqual(await list(`*${stem}*`), [`#${stem}one`, `#${stem}two`])
    assert.deepStrictEqual(await list(`!*${stem}one`), [`#${stem}two`])
    assert.deepStrictEqual(await list(`#${stem}TWO,#${stem}none`), [`#${stem}two`])
    assert.deepStrictEqual(await list(">1"), [`#${stem}two`])
    assert.deepStrictEqual(await list("<2"), [`#${stem}one`])
    assert.deepStrictEqual(await list(`<100,*${stem}t?o`), [`#${stem}two`])
    assert.deepStrictEqual(await list(""), [`#${stem}one`, `#${stem}two`])
  })
})

describe("server password (--irc-password)", () => {
  it("PASS before NICK and USER registers; none or a wrong one is 464 then ERROR and the connection ends", async () => {
    const server = await startServer(["--irc-port", "0", "--irc-password", "s3cret"])
    const port = await ircPortOf(server)

    const good = await IrcClient.connect(port)
    good.send("PASS s3cret")
    good.send("NICK goodpass")
    good.send("USER u 0 * :x")
    const welcome = await good.upTo("422")
    assert.strictEqual(welcome[0]!.command, "001")

    for (const pass of [undefined, "wrong"]) {
      const bad = await IrcClient.connect(port)
      if (pass !== undefined) bad.send(`PASS ${pass}`)
      bad.send("NICK badpass")
      bad.send("USER u 0 * :x")
      const got = await bad.closed()
      assert.deepStrictEqual(got.map((m) => m.command), ["464", "ERROR"])
    }
  })
})

describe("UTF-8 only", () => {
  it("a line that is not UTF-8 is FAIL INVALID_UTF8 and never relayed; the client stays", async () => {
    const port = await ircPort()
    const [from, to] = [fresh("u8a"), fresh("u8b")]
    const a = await IrcClient.register(port, from)
    const b = await IrcClient.register(port, to)
    a.socket.write(Buffer.concat([Buffer.from(`PRIVMSG ${to} :hi`), Buffer.from([0xaa]), Buffer.from("\r\n")]))
    const failed = await a.upTo("FAIL")
    assert.deepStrictEqual(failed.at(-1)!.params.slice(0, 2), ["PRIVMSG", "INVALID_UTF8"])
    a.send(`PRIVMSG ${to} :fine`)
    const got = await b.upTo("PRIVMSG")
    assert.deepStrictEqual(got.at(-1)!.params, [to, "fine"])
  })
})

describe("TOPIC", () => {
  it("on a channel that does not exist is 403; on one that exists but not joined, setting it is 442", async () => {
    const port = await ircPort()
    const chan = `#${fresh("tp")}`
    const a = await IrcClient.register(port, fresh("ta"))
    const b = await IrcClient.register(port, fresh("tb"))
    b.send(`TOPIC ${chan}`)
    assert.deepStrictEqual((await b.sync()).map((m) => m.command), ["403"])
    a.send(`JOIN ${chan}`)
    await a.upTo("366")
    b.send(`TOPIC ${chan} :mine`)
    assert.deepStrictEqual((await b.sync()).map((m) => m.command), ["442"])
  })
})

describe("WHO masks", () => {
  it("WHO with a mask lists everyone whose nick matches, in any case, channel *, then 315 with the mask", async () => {
    const port = await ircPort()
    const stem = fresh("msk")
    const a = await IrcClient.register(port, `${stem}Alpha`)
    await IrcClient.register(port, `${stem}beta`)
    await IrcClient.register(port, fresh("unrelated"))
    a.send("AWAY :out")
    await a.upTo("306")
    a.send(`WHO ${stem.toUpperCase()}*`)
    const got = await a.upTo("315")
    assert.deepStrictEqual(
      got.map((m) => [m.command, ...m.params.slice(1, 2), ...m.params.slice(5, 7)]),
      [
        ["352", "*", `${stem}Alpha`, "G"],
        ["352", "*", `${stem}beta`, "H"],
        ["315", `${stem.toUpperCase()}*`]
      ]
    )
    a.send(`WHO ${stem}b?ta`)
    assert.deepStrictEqual((await a.upTo("315")).map((m) => m.params[5] ?? m.command), [`${stem}beta`, "315"])
    a.send(`WHO ${stem}nomatch*`)
    assert.deepStrictEqual((await a.upTo("315")).map((m) => m.command), ["315"])
  })
})

describe("IRC operators (--irc-oper)", () => {
  it("OPER with the right name and password is 381, then * in WHO and 313 in WHOIS; a wrong one is 464", async () => {
    const port = await ircPort()
    const [boss, other] = [fresh("boss"), fresh("watch")]
    const a = await IrcClient.register(port, boss)
    const b = await IrcClient.register(port, other)
    a.send("OPER boss wrong")
    assert.deepStrictEqual((await a.sync()).map((m) => m.command), ["464"])
    a.send("OPER boss")
    assert.deepStrictEqual((await a.sync()).map((m) => m.command), ["461"])
    b.send(`WHO ${boss}`)
    assert.strictEqual((await b.upTo("315"))[0]!.params[6], "H")

    a.send("OPER boss hunter2")
    assert.deepStrictEqual((await a.sync()).map((m) => m.command), ["381"])
    b.send(`WHO ${boss}`)
    assert.strictEqual((await b.upTo("315"))[0]!.params[6], "H*")
    b.send(`WHO ${boss.slice(0, -1)}*`)
    assert.strictEqual((await b.upTo("315"))[0]!.params[6], "H*")
    b.send(`WHOIS ${boss}`)
    const whois = await b.upTo("318")
    assert.deepStrictEqual(only(whois, "313").map((m) => m.params.slice(0, 2)), [[other, boss]])
    a.send("AWAY :back soon")
    await a.upTo("306")
    b.send(`WHO ${boss}`)
    assert.strictEqual((await b.upTo("315"))[0]!.params[6], "G*")
  })

  it("without --irc-oper, OPER is 491", async () => {
    const server = await startServer(["--irc-port", "0"])
    const client = await IrcClient.register(await ircPortOf(server), "nooper")
    client.send("OPER boss hunter2")
    assert.deepStrictEqual((await client.sync()).map((m) => m.command), ["491"])
  })
})

describe("modes", () => {
  it("+t: only the channel's operator sets the topic until it is -t; everyone sees who set it", async () => {
    const port = await ircPort()
    const [opNick, memberNick, chan] = [fresh("top"), fresh("tmem"), `#${fresh("lock")}`]
    const op = await IrcClient.register(port, opNick)
    const member = await IrcClient.register(port, memberNick)
    op.send(`JOIN ${chan}`)
    await op.upTo("366")
    member.send(`JOIN ${chan}`)
    await member.upTo("366")
    await op.upTo("JOIN")
    member.send(`MODE ${chan} +t`)
    assert.deepStrictEqual((await member.sync()).map((m) => [m.command, m.params[1]]), [["482", chan]])
    op.send(`MODE ${chan} +t`)
    const set = await op.sync()
    assert.deepStrictEqual(set.map((m) => [m.command, ...m.params]), [["MODE", chan, "+t"]])
    op.send(`MODE ${chan}`)
    assert.deepStrictEqual((await op.sync()).map((m) => [m.command, ...m.params.slice(1)]), [["324", chan, "+nt"]])
    member.send(`TOPIC ${chan} :not yours`)
    assert.deepStrictEqual((await member.sync()).map((m) => m.command), ["482"])
    op.send(`MODE ${chan} -t`)
    await op.sync()
    member.send(`TOPIC ${chan} :now mine`)
    const topic = await op.upTo("TOPIC")
    assert.deepStrictEqual(topic.at(-1)!.params, [chan, "now mine"])
    op.send(`MODE ${chan} +x`)
    assert.deepStrictEqual((await op.sync()).map((m) => [m.command, m.params[1]]), [["472", "x"]])
  })

  it("+s: NAMES shows @ for the channel, and LIST shows it to its members only", async () => {
    const port = await ircPort()
    const [opNick, chan] = [fresh("sop"), `#${fresh("secret")}`]
    const op = await IrcClient.register(port, opNick)
    const outsider = await IrcClient.register(port, fresh("sout"))
    op.send(`JOIN ${chan}`)
    await op.upTo("366")
    op.send(`MODE ${chan} +s`)
    await op.upTo("MODE")
    op.send(`NAMES ${chan}`)
    const names = await op.upTo("366")
    assert.deepStrictEqual(names[0]!.params, [opNick, "@", chan, `@${opNick}`])
    const listed = async (client: IrcClient) => {
      client.send("LIST")
      return (await client.upTo("323")).filter((m) => m.command === "322").map((m) => m.params[1])
    }
    assert.include(await listed(op), chan)
    assert.notInclude(await listed(outsider), chan)
  })

  it("+i: a WHO mask finds an invisible user only for who shares a channel; WHO nick always does", async () => {
    const port = await ircPort()
    const stem = fresh("inv")
    const hidden = await IrcClient.register(port, `${stem}x`)
    const looker = await IrcClient.register(port, fresh("look"))
    hidden.send(`MODE ${stem}x +i`)
    assert.deepStrictEqual((await hidden.sync()).map((m) => [m.command, ...m.params]), [["MODE", `${stem}x`, "+i"]])
    hidden.send(`MODE ${stem}x`)
    assert.deepStrictEqual((await hidden.sync()).map((m) => [m.command, m.params[1]]), [["221", "+i"]])
    looker.send(`WHO ${stem}*`)
    assert.deepStrictEqual((await looker.upTo("315")).map((m) => m.command), ["315"])
    looker.send(`WHO ${stem}x`)
    assert.deepStrictEqual((await looker.upTo("315")).map((m) => m.command), ["352", "315"])
    const chan = `#${stem}`
    hidden.send(`JOIN ${chan}`)
    await hidden.upTo("366")
    looker.send(`JOIN ${chan}`)
    await looker.upTo("366")
    looker.send(`WHO ${stem}*`)
    assert.deepStrictEqual((await looker.upTo("315")).map((m) => m.command), ["352", "315"])
    looker.send(`MODE ${stem}x +i`)
    assert.deepStrictEqual((await looker.sync()).map((m) => m.command), ["502"])
  })
})

describe("NAMES of several channels", () => {
  it("a 353 for each, then one 366 naming them all", async () => {
    const port = await ircPort()
    const nick = fresh("multi")
    const [one, two] = [`#${fresh("mna")}`, `#${fresh("mnb")}`]
    const client = await IrcClient.register(port, nick)
    client.send(`JOIN ${one},${two}`)
    await client.upTo("366")
    await client.upTo("366")
    client.send(`NAMES ${one},${two}`)
    const got = await client.upTo("366")
    assert.deepStrictEqual(got.map((m) => [m.command, ...m.params.slice(1)]), [
      ["353", "=", one, `@${nick}`],
      ["353", "=", two, `@${nick}`],
      ["366", `${one},${two}`, "End of /NAMES list"]
    ])
    // A single channel still ends with its own name.
    client.send(`NAMES ${one}`)
    assert.deepStrictEqual((await client.upTo("366")).at(-1)!.params[1], one)
  })
})
