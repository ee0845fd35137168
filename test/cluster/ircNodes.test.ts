/**
 * IRC works in a cluster unchanged: two `chat serve --redis --irc-port 0`
 * nodes on one real redis-server, IRC clients (raw TCP) and line clients on
 * different nodes in one `#lobby`. Counts, names, WHOIS, WHO, topics, pings
 * and renames are the cluster's, not the node's.
 */
import { afterAll, afterEach, assert, beforeAll, describe, it } from "vitest"
import type { Message } from "../support/IrcClient.js"
import { IrcClient, ircPortOf } from "../support/IrcClient.js"
import { cleanUp } from "../support/IrcTests.js"
import type { RedisServer } from "../support/RedisServer.js"
import { hasRedis, startRedis } from "../support/RedisServer.js"
import { stopAllProcesses } from "../support/ServerProcess.js"
import { freshCluster, named, startNode, waitFor } from "./support.js"

let redis: RedisServer

beforeAll(async () => {
  if (hasRedis) redis = await startRedis()
})
afterEach(cleanUp)
afterAll(async () => {
  await stopAllProcesses()
  await redis?.stop()
})

const find = (messages: ReadonlyArray<Message>, command: string): Message => {
  const found = messages.find((m) => m.command === command)
  assert.isDefined(found, `no ${command} in ${messages.map((m) => m.raw).join(" | ")}`)
  return found
}
const commands = (messages: ReadonlyArray<Message>): Array<string> => messages.map((m) => m.command)

describe.runIf(hasRedis)("IRC on two nodes of one cluster", () => {
  it("an IRC client on one node and line and IRC clients on the other: talk, WHOIS, WHO, TOPIC, PING, AWAY, NICK", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster, ["--irc-port", "0"])
    const two = await startNode(redis, cluster, ["--irc-port", "0"])
    const ircOne = await ircPortOf(one)
    const ircTwo = await ircPortOf(two)

    // A line client on node two; an IRC client on node one counts it in its welcome.
    const bob = await named(two, "bob")
    const alice = await IrcClient.connect(ircOne)
    alice.send("NICK alice")
    alice.send("USER al 0 * :Alice Liddell")
    const burst = await alice.upTo("422")
    assert.match(find(burst, "251").params.at(-1) ?? "", /^There are 2 users/)

    // Joining #lobby: the names come from both nodes; the other node hears it.
    alice.send("JOIN #lobby")
    const joined = await alice.upTo("366")
    assert.deepStrictEqual(commands(joined), ["JOIN", "353", "366"])
    assert.deepStrictEqual(find(joined, "353").params.at(-1)!.split(" ").sort(), ["alice", "bob"])
    await waitFor(bob, "*** alice joined #lobby")

    // Talking both ways.
    bob.send("hello from two")
    let message = await alice.next()
    assert.deepStrictEqual([message.source, message.command, message.params], [
      "bob!bob@chat",
      "PRIVMSG",
      ["#lobby", "hello from two"]
    ])
    alice.send("PRIVMSG #lobby :hello from one")
    await waitFor(bob, "<alice> hello from one")
    alice.send("PRIVMSG bob :psst")
    await waitFor(bob, "[pm] <alice> psst")
    bob.send("/msg alice hi back")
    await waitFor(bob, "[pm -> alice] hi back")
    message = await alice.next()
    assert.deepStrictEqual([message.source, message.command, message.params], ["bob!bob@chat", "PRIVMSG", [
      "alice",
      "hi back"
    ]])

    // WHOIS of a nick on the other node: its rooms, and its end.
    alice.send("WHOIS BOB")
    let got = await alice.upTo("318")
    assert.deepStrictEqual(commands(got), ["311", "319", "312", "318"])
    assert.strictEqual(find(got, "319").params.at(-1), "#lobby")

    // An IRC client on node two: what alice said of herself crosses the cluster, and back.
    const carol = await IrcClient.register(ircTwo, "carol")
    carol.send("WHOIS alice")
    got = await carol.upTo("318")
    assert.deepStrictEqual(find(got, "311").params, ["carol", "alice", "al", "chat", "*", "Alice Liddell"])
    assert.strictEqual(find(got, "319").params.at(-1), "#lobby")
    carol.send("LUSERS")
    got = await carol.upTo("266")
    assert.match(find(got, "251").params.at(-1) ?? "", /^There are 3 users/)

    // A topic set on node one: the line client on node two hears it, an IRC newcomer there gets it on joining.
    alice.send("TOPIC #lobby :the cluster plan")
    message = await alice.next()
    assert.deepStrictEqual([message.command, message.params], ["TOPIC", ["#lobby", "the cluster plan"]])
    await waitFor(bob, "*** alice set the topic of #lobby: the cluster plan")
    carol.send("JOIN #lobby")
    got = await carol.upTo("366")
    assert.deepStrictEqual(commands(got), ["JOIN", "332", "353", "366"])
    assert.deepStrictEqual(find(got, "332").params, ["carol", "#lobby", "the cluster plan"])
    assert.deepStrictEqual(find(got, "353").params.at(-1)!.split(" ").sort(), ["alice", "bob", "carol"])
    message = await alice.next()
    assert.deepStrictEqual([message.source?.split("!")[0], message.command], ["carol", "JOIN"])
    await waitFor(bob, "*** carol joined #lobby")

    // And set on node two: node one hears it.
    carol.send("TOPIC #lobby :set on two")
    assert.strictEqual((await carol.next()).command, "TOPIC")
    message = await alice.next()
    assert.deepStrictEqual([message.source?.split("!")[0], message.command, message.params], [
      "carol",
      "TOPIC",
      ["#lobby", "set on two"]
    ])
    await waitFor(bob, "*** carol set the topic of #lobby: set on two")
    alice.send("TOPIC #lobby")
    assert.deepStrictEqual((await alice.next()).params, ["alice", "#lobby", "set on two"])

    // WHO: every member, wherever connected, with what each said of itself.
    alice.send("WHO #lobby")
    got = await alice.upTo("315")
    assert.deepStrictEqual(got.filter((m) => m.command === "352").map((m) => [m.params[5], m.params.at(-1)]), [
      ["alice", "0 Alice Liddell"],
      ["bob", "0 bob"],
      ["carol", "0 carol tester"]
    ])

    // PING is answered in order, after what was asked before it.
    alice.send("WHOIS carol")
    alice.send("PING :token-1")
    got = await alice.upTo("PONG")
    assert.deepStrictEqual(commands(got), ["311", "319", "312", "318", "PONG"])
    assert.strictEqual(got.at(-1)!.params.at(-1), "token-1")

    // Away on node one: node two's WHOIS, WHO and private messages show it.
    alice.send("AWAY :lunch")
    assert.strictEqual((await alice.next()).command, "306")
    carol.send("WHOIS alice")
    assert.deepStrictEqual(find(await carol.upTo("318"), "301").params, ["carol", "alice", "lunch"])
    carol.send("WHO #lobby")
    got = await carol.upTo("315")
    assert.deepStrictEqual(got.filter((m) => m.command === "352").map((m) => [m.params[5], m.params[6]]), [
      ["alice", "G"],
      ["bob", "H"],
      ["carol", "H"]
    ])
    carol.send("PRIVMSG alice :are you there?")
    assert.deepStrictEqual(find(await carol.upTo("301"), "301").params, ["carol", "alice", "lunch"])
    message = await alice.next()
    assert.deepStrictEqual([message.source?.split("!")[0], message.command, message.params], [
      "carol",
      "PRIVMSG",
      ["alice", "are you there?"]
    ])
    alice.send("AWAY")
    assert.strictEqual((await alice.next()).command, "305")

    // A rename on node one: node two's clients see it, and WHOIS finds the new nick.
    alice.send("NICK alicia")
    message = await alice.next()
    assert.deepStrictEqual([message.source?.split("!")[0], message.command, message.params], ["alice", "NICK", [
      "alicia"
    ]])
    await waitFor(bob, "*** alice is now alicia")
    message = await carol.until((m) => m.command === "NICK").then((all) => all.at(-1)!)
    assert.deepStrictEqual([message.source?.split("!")[0], message.params], ["alice", ["alicia"]])
    carol.send("WHOIS alice")
    assert.deepStrictEqual(commands(await carol.upTo("318")), ["401", "318"])

    // QUIT on node one: node two hears it leave.
    alice.send("QUIT :bye from one")
    await waitFor(bob, "*** alicia left #lobby (quit: bye from one)")
    message = await carol.until((m) => m.command === "QUIT").then((all) => all.at(-1)!)
    assert.deepStrictEqual([message.source?.split("!")[0], message.params], ["alicia", ["Quit: bye from one"]])
  })

  it("Redis restarted empty: IRC clients keep their nick, channels and what they said of themselves, and are told", async () => {
    const cluster = freshCluster()
    const one = await startNode(redis, cluster, ["--irc-port", "0"])
    const two = await startNode(redis, cluster, ["--irc-port", "0"])
    const bob = await named(two, "bob")
    const alice = await IrcClient.connect(await ircPortOf(one))
    alice.send("NICK alice")
    alice.send("USER al 0 * :Alice Liddell")
    await alice.upTo("422")
    alice.send("JOIN #lobby")
    await alice.upTo("366")
    await waitFor(bob, "*** alice joined #lobby")

    await redis.restart()
    const told = await alice.until((m) => m.command === "NOTICE", 10_000)
    assert.deepStrictEqual(told.at(-1)!.params, ["alice", "the history in #lobby was lost"])
    await waitFor(bob, "*** history lost in #lobby (the cluster's store restarted)", 10_000)

    // Still one chat: talking both ways, and WHOIS from the other node knows alice as she registered.
    alice.send("PRIVMSG #lobby :after the restart")
    await waitFor(bob, "<alice> after the restart")
    bob.send("still here")
    const message = await alice.next()
    assert.deepStrictEqual([message.source, message.command, message.params], [
      "bob!bob@chat",
      "PRIVMSG",
      ["#lobby", "still here"]
    ])
    const carol = await IrcClient.register(await ircPortOf(two), "carol")
    carol.send("WHOIS alice")
    const got = await carol.upTo("318")
    assert.deepStrictEqual(find(got, "311").params, ["carol", "alice", "al", "chat", "*", "Alice Liddell"])
    assert.strictEqual(find(got, "319").params.at(-1), "#lobby")
  })
})
