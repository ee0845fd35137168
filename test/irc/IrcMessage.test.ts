/**
 * IRC messages as data: reading what clients send (tags, source, trailing
 * parameters), writing lines, and splitting long texts within 512 bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import { byteLength, line, parse, split } from "../../src/protocol/irc/IrcMessage.js"

describe("parse", () => {
  it("reads the command (upper-cased) and its parameters, the trailing one with its spaces", () => {
    assert.deepStrictEqual(parse("privmsg #lobby :hello there"), {
      command: "PRIVMSG",
      params: ["#lobby", "hello there"]
    })
    assert.deepStrictEqual(parse("USER u 0 * :Real Name"), { command: "USER", params: ["u", "0", "*", "Real Name"] })
    assert.deepStrictEqual(parse("PING :"), { command: "PING", params: [""] })
  })

  it("ignores tags and a source, and extra spaces between parameters", () => {
    assert.deepStrictEqual(parse("@time=x;a=b :nick!u@h JOIN  #a,#b"), { command: "JOIN", params: ["#a,#b"] })
  })

  it("a line with no command is nothing", () => {
    assert.isUndefined(parse(""))
    assert.isUndefined(parse("   "))
    assert.isUndefined(parse(":source-only"))
  })
})

describe("line", () => {
  it("writes a trailing parameter when it must, or when asked, and ends with CR LF", () => {
    assert.strictEqual(line("s", "001", ["nick", "Welcome here"]), ":s 001 nick :Welcome here\r\n")
    assert.strictEqual(line(undefined, "PING", ["s"], true), "PING :s\r\n")
    assert.strictEqual(line("s", "JOIN", ["#a"]), ":s JOIN #a\r\n")
    assert.strictEqual(line("s", "PART", ["#a", ""]), ":s PART #a :\r\n")
  })
})

describe("split", () => {
  it("keeps a short text whole", () => {
    assert.deepStrictEqual(split("hello", 10), ["hello"])
  })

  it("cuts at a space when it can, and never inside a character", () => {
    assert.deepStrictEqual(split("aaa bbb ccc", 7), ["aaa bbb", "ccc"])
    const pieces = split("é".repeat(10), 5)
    for (const piece of pieces) assert.isAtMost(byteLength(piece), 5)
    assert.strictEqual(pieces.join(""), "é".repeat(10))
  })
})
