/**
 * PROTOCOL.md, "Commands": every command, every error text, exactly.
 */
import { afterAll, afterEach, assert, describe, it } from "vitest"
import { destroyAllClients, LineClient, takeStrayLines } from "../support/LineClient.js"
import { sharedServer, stopAllProcesses, stopTestProcesses } from "../support/ServerProcess.js"

afterEach(async () => {
  destroyAllClients()
  await stopTestProcesses()
  assert.deepStrictEqual(takeStrayLines(), [])
})
afterAll(stopAllProcesses)

/** A server and `count` quiet clients in `#lobby` (guest-1, guest-2, ...). */
const clients = async (count: number) => {
  const server = await sharedServer(["--rate", "0"])
  const all = await LineClient.group(server.port, count)
  return { server, all }
}

/** Renames `client` and waits for its confirmation; `others` read the notice. */
const rename = async (
  client: LineClient & { readonly nick: string },
  nick: string,
  others: ReadonlyArray<LineClient>
) => {
  client.send(`/nick ${nick}`)
  assert.strictEqual(await client.line(), `*** you are now ${nick}`)
  for (const other of others) assert.strictEqual(await other.line(), `*** ${client.nick} is now ${nick}`)
}

/** Sends `line` and expects exactly `reply` as the next line. */
const expectReply = async (client: LineClient, line: string, reply: string) => {
  client.send(line)
  assert.strictEqual(await client.line(), reply)
}

describe("/nick", () => {
  it("renames: you get `you are now`, your room gets `OLD is now NEW`", async () => {
    const { all: [alice, bob] } = await clients(2)
    await rename(alice!, "alice", [bob!])
    bob!.send("/who")
    assert.strictEqual(await bob!.line(), "*** in #lobby: alice, guest-2")
    alice!.send("hi")
    assert.strictEqual(await bob!.line(), "<alice> hi")
    alice!.send("/nick Alice_2-x")
    assert.strictEqual(await alice!.line(), "*** you are now Alice_2-x")
    assert.strictEqual(await bob!.line(), "*** alice is now Alice_2-x")
  })

  it("refuses invalid nicks: NAME is the whole rest of the line", async () => {
    const { all: [alice, bob] } = await clients(2)
    const invalid = (input: string) =>
      `! invalid nick ${JSON.stringify(input)} (1-24 of A-Z a-z 0-9 _ -, starting with a letter)`
    await expectReply(alice!, "/nick 9lives", invalid("9lives"))
    await expectReply(alice!, "/nick al ice", invalid("al ice"))
    await expectReply(alice!, "/nick _alice", invalid("_alice"))
    await expectReply(alice!, "/nick -alice", invalid("-alice"))
    await expectReply(alice!, "/nick al.ice", invalid("al.ice"))
    await expectReply(alice!, "/nick émile", invalid("émile"))
    await expectReply(alice!, `/nick a${"b".repeat(24)}`, invalid(`a${"b".repeat(24)}`))
    await expectReply(alice!, `/nick a${"b".repeat(23)}`, `*** you are now a${"b".repeat(23)}`)
    await expectReply(alice!, "/nick Z", "*** you are now Z")
    assert.strictEqual(await bob!.line(), `*** guest-1 is now a${"b".repeat(23)}`)
    assert.strictEqual(await bob!.line(), `*** a${"b".repeat(23)} is now Z`)
  })

  it("usage without NAME", async () => {
    const { all: [alice] } = await clients(1)
    await expectReply(alice!, "/nick", "! usage: /nick NAME")
    await expectReply(alice!, "/nick   ", "! usage: /nick NAME")
  })

  it("refuses a taken nick", async () => {
    const { all: [alice, bob] } = await clients(2)
    await rename(alice!, "alice", [bob!])
    await expectReply(bob!, "/nick alice", "! nick alice is taken")
    await expectReply(bob!, "/nick guest-1x", "*** you are now guest-1x")
    assert.strictEqual(await alice!.line(), "*** guest-2 is now guest-1x")
    await expectReply(alice!, "/nick guest-1x", "! nick guest-1x is taken")
  })

  it("refuses a taken nick without regard to case, naming it as it is", async () => {
    const { all: [alice, bob] } = await clients(2)
    await rename(alice!, "alice", [bob!])
    // "a reply names them in that case": the taken nick is `alice`.
    await expectReply(bob!, "/nick ALICE", "! nick alice is taken")
  })

  it("a guest nick taken in another case is not assigned", async () => {
    const { server, all: [alice, bob] } = await clients(2)
    await rename(alice!, "alice", [bob!])
    // guest-1 is free again; `GUEST-1` takes it, so newcomers skip it.
    await expectReply(bob!, "/nick GUEST-1", "*** you are now GUEST-1")
    assert.strictEqual(await alice!.line(), "*** guest-2 is now GUEST-1")
    alice!.send("/nick guest-1")
    assert.match(await alice!.line(), /^! nick (guest|GUEST)-1 is taken$/)
    const third = await LineClient.join(server.port)
    assert.strictEqual(third.nick, "guest-2")
    const fourth = await LineClient.join(server.port)
    assert.strictEqual(fourth.nick, "guest-3")
  })
})

describe("/join", () => {
  it("moves you: the old room hears `left (joined #ROOM)`, the new one `joined`", async () => {
    const { all: [alice, bob, carol] } = await clients(3)
    await expectReply(carol!, "/join dev", "*** joined #dev (1 here: guest-3)")
    assert.strictEqual(await alice!.line(), "*** guest-3 left #lobby (joined #dev)")
    assert.strictEqual(await bob!.line(), "*** guest-3 left #lobby (joined #dev)")

    await rename(alice!, "alice", [bob!])
    await expectReply(alice!, "/join #dev", "*** joined #dev (2 here: alice, guest-3)")
    assert.strictEqual(await bob!.line(), "*** alice left #lobby (joined #dev)")
    assert.strictEqual(await carol!.line(), "*** alice joined #dev")

    // Messages now stay in #dev.
    alice!.send("in dev")
    assert.strictEqual(await carol!.line(), "<alice> in dev")
    bob!.send("in lobby")
    alice!.send("/who")
    assert.strictEqual(await alice!.line(), "*** in #dev: alice, guest-3")
    carol!.send("/who")
    assert.strictEqual(await carol!.line(), "*** in #dev: alice, guest-3")
    await expectReply(bob!, "/who", "*** in #lobby: guest-2")
  })

  it("keeps the room's case and finds it without regard to case", async () => {
    const { all: [alice, bob] } = await clients(2)
    await expectReply(alice!, "/join Dev_Team-2", "*** joined #Dev_Team-2 (1 here: guest-1)")
    assert.strictEqual(await bob!.line(), "*** guest-1 left #lobby (joined #Dev_Team-2)")
    await expectReply(bob!, "/join #dev_team-2", "*** joined #Dev_Team-2 (2 here: guest-1, guest-2)")
    assert.strictEqual(await alice!.line(), "*** guest-2 joined #Dev_Team-2")
    await expectReply(bob!, "/join DEV_TEAM-2", "! you are already in #Dev_Team-2")
  })

  it("refuses your own room", async () => {
    const { all: [alice] } = await clients(1)
    await expectReply(alice!, "/join lobby", "! you are already in #lobby")
    await expectReply(alice!, "/join #lobby", "! you are already in #lobby")
    await expectReply(alice!, "/join LOBBY", "! you are already in #lobby")
  })

  it("refuses invalid room names: ROOM is the whole rest of the line", async () => {
    const { all: [alice] } = await clients(1)
    await expectReply(alice!, "/join a b", "! invalid room name \"a b\"")
    await expectReply(alice!, "/join dev!", "! invalid room name \"dev!\"")
    await expectReply(alice!, `/join ${"r".repeat(33)}`, `! invalid room name "${"r".repeat(33)}"`)
    await expectReply(alice!, `/join ${"r".repeat(32)}`, `*** joined #${"r".repeat(32)} (1 here: guest-1)`)
    await expectReply(alice!, "/join 9", "*** joined #9 (1 here: guest-1)")
  })

  it("usage without ROOM", async () => {
    const { all: [alice] } = await clients(1)
    await expectReply(alice!, "/join", "! usage: /join ROOM")
    await expectReply(alice!, "/join  \t ", "! usage: /join ROOM")
  })
})

describe("/rooms and /who", () => {
  it("/rooms lists rooms with members, by lower-cased name, with counts", async () => {
    const { all: [a, b, c, d] } = await clients(4)
    await expectReply(a!, "/rooms", "*** rooms: #lobby (4)")
    await expectReply(b!, "/join Zeta", "*** joined #Zeta (1 here: guest-2)")
    await c!.sync()
    await expectReply(c!, "/join beta", "*** joined #beta (1 here: guest-3)")
    await d!.sync()
    await expectReply(d!, "/join Alpha", "*** joined #Alpha (1 here: guest-4)")
    await a!.sync()
    await expectReply(a!, "/rooms", "*** rooms: #Alpha (1), #beta (1), #lobby (1), #Zeta (1)")
    await expectReply(d!, "/join zeta", "*** joined #Zeta (2 here: guest-2, guest-4)")
    // #Alpha is empty now, so it is gone.
    await expectReply(d!, "/rooms", "*** rooms: #beta (1), #lobby (1), #Zeta (2)")
  })

  it("/who sorts by lower-cased name in plain character order", async () => {
    const { all } = await clients(10)
    const [g1, g2, g3] = all
    await rename(g2!, "Bob", all.filter((c) => c !== g2))
    await rename(g3!, "alice", all.filter((c) => c !== g3))
    await expectReply(
      g1!,
      "/who",
      "*** in #lobby: alice, Bob, guest-1, guest-10, guest-4, guest-5, guest-6, guest-7, guest-8, guest-9"
    )
  })

  it("/join lists the members sorted, counting you", async () => {
    const { all } = await clients(3)
    const [g1, g2, g3] = all
    await rename(g1!, "zed", [g2!, g3!])
    await rename(g2!, "Amy", [g1!, g3!])
    await expectReply(g1!, "/join dev", "*** joined #dev (1 here: zed)")
    await g2!.sync()
    await expectReply(g2!, "/join dev", "*** joined #dev (2 here: Amy, zed)")
    await g3!.sync()
    await expectReply(g3!, "/join dev", "*** joined #dev (3 here: Amy, guest-3, zed)")
  })
})

describe("/msg", () => {
  it("sends a private message, naming the nick as it is", async () => {
    const { all: [alice, bob, carol] } = await clients(3)
    await rename(alice!, "alice", [bob!, carol!])
    await rename(bob!, "bob", [alice!, carol!])
    alice!.send("/msg BOB hi")
    assert.strictEqual(await bob!.line(), "[pm] <alice> hi")
    assert.strictEqual(await alice!.line(), "[pm -> bob] hi")
    alice!.send("/msg bob hello there, bob ")
    assert.strictEqual(await bob!.line(), "[pm] <alice> hello there, bob")
    assert.strictEqual(await alice!.line(), "[pm -> bob] hello there, bob")
    await carol!.expectNoLine(150)
  })

  it("reaches a nick in another room", async () => {
    const { all: [alice, bob] } = await clients(2)
    await expectReply(bob!, "/join dev", "*** joined #dev (1 here: guest-2)")
    assert.strictEqual(await alice!.line(), "*** guest-2 left #lobby (joined #dev)")
    alice!.send("/msg guest-2 over there?")
    assert.strictEqual(await bob!.line(), "[pm] <guest-1> over there?")
    assert.strictEqual(await alice!.line(), "[pm -> guest-2] over there?")
  })

  it("errors: no such nick, usage", async () => {
    const { all: [alice] } = await clients(1)
    await expectReply(alice!, "/msg bob hi", "! no such nick bob")
    await expectReply(alice!, "/msg", "! usage: /msg NICK TEXT")
    await expectReply(alice!, "/msg bob", "! usage: /msg NICK TEXT")
    await expectReply(alice!, "/msg bob   ", "! usage: /msg NICK TEXT")
  })
})

describe("/me", () => {
  it("sends an action to the room, not to you", async () => {
    const { all: [alice, bob] } = await clients(2)
    await rename(alice!, "alice", [bob!])
    alice!.send("/me waves at everyone")
    assert.strictEqual(await bob!.line(), "* alice waves at everyone")
    alice!.send("/who")
    assert.strictEqual(await alice!.line(), "*** in #lobby: alice, guest-2")
  })

  it("usage without TEXT", async () => {
    const { all: [alice] } = await clients(1)
    await expectReply(alice!, "/me", "! usage: /me TEXT")
    await expectReply(alice!, "/me  ", "! usage: /me TEXT")
  })
})

describe("/quit", () => {
  it("says `*** bye` and closes", async () => {
    const { all: [alice] } = await clients(1)
    alice!.send("/quit")
    assert.deepStrictEqual(await alice!.closed(), ["*** bye"])
  })

  it("reads nothing after /quit", async () => {
    const { all: [alice, bob] } = await clients(2)
    alice!.send("/quit see you\nnot relayed")
    assert.deepStrictEqual(await alice!.closed(), ["*** bye"])
    assert.strictEqual(await bob!.line(), "*** guest-1 left #lobby (quit: see you)")
    await bob!.expectNoLine(150)
  })
})

describe("/help", () => {
  it("one notice per command, with its syntax", async () => {
    const { all: [alice] } = await clients(1)
    alice!.send("/help")
    alice!.send("/who")
    const lines = await alice!.until((line) => line.startsWith("*** in #"))
    const help = lines.slice(0, -1)
    for (const line of help) assert.match(line, /^\*\*\* /)
    const syntax = [
      "/nick NAME",
      "/join ROOM",
      "/rooms",
      "/who",
      "/msg NICK TEXT",
      "/me TEXT",
      "/quit [REASON]",
      "/help"
    ]
    for (const command of syntax) {
      assert.lengthOf(help.filter((line) => line.startsWith(`*** ${command}`)), 1, command)
    }
  })
})

describe("command syntax", () => {
  it("command names are case-insensitive", async () => {
    const { all: [alice, bob] } = await clients(2)
    await expectReply(alice!, "/NICK alice", "*** you are now alice")
    assert.strictEqual(await bob!.line(), "*** guest-1 is now alice")
    await expectReply(alice!, "/WhO", "*** in #lobby: alice, guest-2")
    await expectReply(alice!, "/Rooms", "*** rooms: #lobby (2)")
    alice!.send("/ME waves")
    assert.strictEqual(await bob!.line(), "* alice waves")
    alice!.send("/Msg guest-2 psst")
    assert.strictEqual(await bob!.line(), "[pm] <alice> psst")
    assert.strictEqual(await alice!.line(), "[pm -> guest-2] psst")
    alice!.send("/HELP")
    const help = await alice!.sync()
    assert.isAbove(help.length, 8)
    assert.lengthOf(help.filter((line) => line.startsWith("*** /nick NAME")), 1)
    await expectReply(alice!, "/JOIN dev", "*** joined #dev (1 here: alice)")
    assert.strictEqual(await bob!.line(), "*** alice left #lobby (joined #dev)")
    alice!.send("/QUIT Later")
    assert.deepStrictEqual(await alice!.closed(), ["*** bye"])
  })

  it("`//text` sends the room message `/text`", async () => {
    const { all: [alice, bob] } = await clients(2)
    alice!.send("//shrug not a command")
    assert.strictEqual(await bob!.line(), "<guest-1> /shrug not a command")
    alice!.send("//")
    assert.strictEqual(await bob!.line(), "<guest-1> /")
  })

  it("unknown commands", async () => {
    const { all: [alice, bob] } = await clients(2)
    await expectReply(alice!, "/foo", "! unknown command /foo (try /help)")
    await expectReply(alice!, "/foo bar baz", "! unknown command /foo (try /help)")
    await expectReply(alice!, "/", "! unknown command / (try /help)")
    await bob!.expectNoLine(150)
  })

  it("errors never close the connection", async () => {
    const { all: [alice, bob] } = await clients(2)
    for (
      const line of [
        "/foo",
        "/msg",
        "/nick 9lives",
        "/nick",
        "/join a b",
        "/join",
        "/me",
        "/msg nobody x",
        "/join lobby"
      ]
    ) {
      alice!.send(line)
      assert.match(await alice!.line(), /^! /)
    }
    alice!.send("still here")
    assert.strictEqual(await bob!.line(), "<guest-1> still here")
  })
})
