/**
 * The baseline: the relay a competent Node developer would hand-write with
 * `node:net` only. Line framing, `<nick> ` prefix, join and leave notices, a
 * bound on each client's buffer (a client that falls too far behind is
 * dropped). No rooms, commands, history or flood control: it is the floor
 * that `chat serve --rate 0` is measured against.
 *
 *   node --import tsx bench/baseline.ts [--port 0] [--max-buffer-bytes 8388608]
 *
 * Prints `listening on HOST:PORT` on stderr, like `chat serve`.
 */
import * as Net from "node:net"

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}

const port = argument("port", 0)
const maxBufferBytes = argument("max-buffer-bytes", 8 * 1024 * 1024)
const maxLineBytes = 4096

interface Client {
  readonly socket: Net.Socket
  readonly nick: string
  partial: string
}

const clients = new Set<Client>()
let nextGuest = 1

const broadcast = (from: Client | undefined, line: string): void => {
  for (const client of clients) {
    if (client === from) continue
    if (client.socket.writableLength > maxBufferBytes) {
      client.socket.destroy()
      continue
    }
    client.socket.write(line)
  }
}

const server = Net.createServer({ noDelay: true }, (socket) => {
  const client: Client = { socket, nick: `guest-${nextGuest++}`, partial: "" }
  clients.add(client)
  socket.setEncoding("utf8")
  socket.write(`*** welcome, you are ${client.nick}\n`)
  broadcast(client, `*** ${client.nick} joined\n`)
  socket.on("data", (data: string) => {
    const text = client.partial + data
    const lines = text.split("\n")
    client.partial = lines.pop() ?? ""
    if (client.partial.length > maxLineBytes) client.partial = ""
    let out = ""
    for (const line of lines) {
      const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line
      if (trimmed.length > 0) out += `<${client.nick}> ${trimmed}\n`
    }
    if (out.length > 0) broadcast(client, out)
  })
  const leave = () => {
    if (!clients.delete(client)) return
    broadcast(client, `*** ${client.nick} left\n`)
  }
  socket.on("close", leave)
  socket.on("error", () => socket.destroy())
})

server.listen(port, "127.0.0.1", () => {
  const address = server.address() as Net.AddressInfo
  process.stderr.write(`listening on 127.0.0.1:${address.port}\n`)
})

const stop = () => {
  for (const client of clients) client.socket.destroy()
  server.close(() => process.exit(0))
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
