/**
 * Client addresses and ranges of them, IPv4 and IPv6, for the limits per
 * address: which addresses are exempt (`--exempt-addresses 127.0.0.0/8,::1`)
 * and under which key a connection is counted.
 *
 * Pure, and written here rather than taken from `node:net`'s `BlockList`
 * so that the server never touches `node:net` (only the TCP socket layer
 * does). Every address is held as 16 bytes, IPv4 as IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`), so `127.0.0.0/8` also matches a dual-stack socket's
 * `::ffff:127.0.0.1`.
 */
import { Either } from "effect"

export interface AddressRange {
  /** As the user wrote it. */
  readonly text: string
  readonly bytes: Uint8Array
  /** Leading bits that must match, out of 128. */
  readonly prefix: number
}

/** What `--exempt-addresses` holds unless told otherwise: loopback, IPv4 and IPv6. */
export const loopback: ReadonlyArray<string> = ["127.0.0.0/8", "::1"]

const parseIpv4 = (text: string): Array<number> | undefined => {
  const parts = text.split(".")
  if (parts.length !== 4) return undefined
  const bytes = parts.map((part) => /^\d{1,3}$/.test(part) ? Number(part) : 256)
  return bytes.every((byte) => byte <= 255) ? bytes : undefined
}

const parseGroups = (text: string): Array<number> | undefined => {
  if (text === "") return []
  const groups: Array<number> = []
  const parts = text.split(":")
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    if (i === parts.length - 1 && part.includes(".")) {
      const ipv4 = parseIpv4(part)
      if (ipv4 === undefined) return undefined
      groups.push((ipv4[0]! << 8) | ipv4[1]!, (ipv4[2]! << 8) | ipv4[3]!)
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16))
    } else {
      return undefined
    }
  }
  return groups
}

/** 16 bytes for an IPv4 or IPv6 address (a zone, `%eth0`, ignored); undefined if it is neither. */
export const parseAddress = (text: string): Uint8Array | undefined => {
  const address = text.split("%")[0]!
  const ipv4 = parseIpv4(address)
  if (ipv4 !== undefined) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ipv4])
  if (!address.includes(":")) return undefined
  const halves = address.split("::")
  if (halves.length > 2) return undefined
  const head = parseGroups(halves[0]!)
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const groups = [...head, ...Array<number>(missing).fill(0), ...tail]
  return Uint8Array.from(groups.flatMap((group) => [group >> 8, group & 0xff]))
}

const isMapped = (bytes: Uint8Array): boolean =>
  bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff

/** `10.0.0.0/8`, `fe80::/10`, or a single address; the error says what is wrong, in words. */
export const parseRange = (text: string): Either.Either<AddressRange, string> => {
  const [address = "", bits, ...rest] = text.trim().split("/")
  const bytes = parseAddress(address)
  if (bytes === undefined || rest.length > 0) return Either.left(`"${text}" is not an address or a range`)
  const ipv4 = !address.includes(":")
  const width = ipv4 ? 32 : 128
  const prefix = bits === undefined ? width : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN
  if (!(prefix >= 0 && prefix <= width)) return Either.left(`"${text}": the prefix length must be from 0 to ${width}`)
  return Either.right({ text: text.trim(), bytes, prefix: ipv4 ? 96 + prefix : prefix })
}

/** A comma-separated list of ranges; the empty list (`""`) is valid. */
export const parseList = (texts: ReadonlyArray<string>): Either.Either<ReadonlyArray<AddressRange>, string> =>
  Either.all(texts.filter((text) => text.trim() !== "").map(parseRange))

const within = (range: AddressRange, bytes: Uint8Array): boolean => {
  const whole = Math.floor(range.prefix / 8)
  for (let i = 0; i < whole; i++) if (range.bytes[i] !== bytes[i]) return false
  const bits = range.prefix % 8
  if (bits === 0) return true
  const mask = (0xff << (8 - bits)) & 0xff
  return (range.bytes[whole]! & mask) === (bytes[whole]! & mask)
}

/** Whether `address` is in one of `ranges`; an address that cannot be parsed is in none. */
export const isIn = (ranges: ReadonlyArray<AddressRange>, address: string): boolean => {
  const bytes = parseAddress(address)
  return bytes !== undefined && ranges.some((range) => within(range, bytes))
}

/**
 * Under which key connections from `address` are counted: an IPv4 address
 * as itself (dual-stack `::ffff:` mapping removed); an IPv6 address by its
 * /64, because one subscriber is routinely given a whole /64 (Ergo counts
 * the same way) and would otherwise have 2^64 addresses to spread over.
 */
export const countingKey = (address: string): string => {
  const bytes = parseAddress(address)
  if (bytes === undefined) return address
  if (isMapped(bytes)) return Array.from(bytes.subarray(12)).join(".")
  const groups: Array<string> = []
  for (let i = 0; i < 8; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  // Trailing zero groups go into the `::`: `2001:db8::/64`, `::/64`.
  while (groups.at(-1) === "0") groups.pop()
  return `${groups.join(":")}::/64`
}
