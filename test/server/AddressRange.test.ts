import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as AddressRange from "../../src/server/AddressRange.js"

const ranges = (...texts: Array<string>): ReadonlyArray<AddressRange.AddressRange> =>
  Either.getOrThrowWith(AddressRange.parseList(texts), (message) => new Error(message))

describe("AddressRange", () => {
  it("parses IPv4 and IPv6 addresses, compressed, with embedded IPv4 and zones", () => {
    assert.deepStrictEqual(Array.from(AddressRange.parseAddress("10.1.2.3")!.subarray(10)), [0xff, 0xff, 10, 1, 2, 3])
    assert.deepStrictEqual(Array.from(AddressRange.parseAddress("::1")!), [...Array<number>(15).fill(0), 1])
    assert.deepStrictEqual(AddressRange.parseAddress("::ffff:10.1.2.3"), AddressRange.parseAddress("10.1.2.3"))
    assert.deepStrictEqual(AddressRange.parseAddress("fe80::1%eth0"), AddressRange.parseAddress("fe80:0:0:0:0:0:0:1"))
    assert.deepStrictEqual(AddressRange.parseAddress("2001:DB8::"), AddressRange.parseAddress("2001:db8:0::0"))
    for (const bad of ["", "localhost", "1.2.3", "1.2.3.256", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g"]) {
      assert.strictEqual(AddressRange.parseAddress(bad), undefined, bad)
    }
  })

  it("matches addresses against ranges, IPv4 ones also in their dual-stack form", () => {
    const loopback = ranges(...AddressRange.loopback)
    for (const address of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.2"]) {
      assert.isTrue(AddressRange.isIn(loopback, address), address)
    }
    for (const address of ["128.0.0.1", "10.0.0.1", "::2", "::ffff:10.0.0.1", "not an address"]) {
      assert.isFalse(AddressRange.isIn(loopback, address), address)
    }
    const mixed = ranges("10.0.0.0/8", "192.168.1.128/25", "2001:db8::/33", "0.0.0.0/0")
    assert.isTrue(AddressRange.isIn(mixed.slice(0, 3), "192.168.1.200"))
    assert.isFalse(AddressRange.isIn(mixed.slice(0, 3), "192.168.1.100"))
    assert.isTrue(AddressRange.isIn(mixed.slice(0, 3), "2001:db8:7fff::1"))
    assert.isFalse(AddressRange.isIn(mixed.slice(0, 3), "2001:db8:8000::1"))
    // 0.0.0.0/0 is every IPv4 address, and no IPv6 one.
    assert.isTrue(AddressRange.isIn(mixed.slice(3), "203.0.113.9"))
    assert.isFalse(AddressRange.isIn(mixed.slice(3), "2001:db8::1"))
    assert.isTrue(AddressRange.isIn(ranges("::/0"), "2001:db8::1"))
  })

  it("refuses what is not a range, in words; the empty list is valid", () => {
    assert.deepStrictEqual(AddressRange.parseList(["", " "]), Either.right([]))
    assert.deepStrictEqual(
      AddressRange.parseRange("10.0.0.0/33"),
      Either.left(`"10.0.0.0/33": the prefix length must be from 0 to 32`)
    )
    assert.deepStrictEqual(
      AddressRange.parseRange("::/129"),
      Either.left(`"::/129": the prefix length must be from 0 to 128`)
    )
    assert.deepStrictEqual(
      AddressRange.parseRange("::/x"),
      Either.left(`"::/x": the prefix length must be from 0 to 128`)
    )
    assert.deepStrictEqual(
      AddressRange.parseRange("example.org"),
      Either.left(`"example.org" is not an address or a range`)
    )
    assert.deepStrictEqual(
      AddressRange.parseRange("1.2.3.4/8/9"),
      Either.left(`"1.2.3.4/8/9" is not an address or a range`)
    )
  })

  it("counts an IPv4 client by its address and an IPv6 client by its /64", () => {
    assert.strictEqual(AddressRange.countingKey("203.0.113.9"), "203.0.113.9")
    assert.strictEqual(AddressRange.countingKey("::ffff:203.0.113.9"), "203.0.113.9")
    assert.strictEqual(AddressRange.countingKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64")
    assert.strictEqual(AddressRange.countingKey("2001:db8:1:2::99"), "2001:db8:1:2::/64")
    assert.strictEqual(AddressRange.countingKey("2001:db8:1:3::1"), "2001:db8:1:3::/64")
    assert.strictEqual(AddressRange.countingKey("2001:db8::5"), "2001:db8::/64")
    assert.strictEqual(AddressRange.countingKey("::1"), "::/64")
  })
})
