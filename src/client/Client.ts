/**
 * `chat connect`: the protocol spoken for a person.
 *
 * At a terminal (stdin and stdout both TTYs) it is an interactive client:
 * see `TerminalClient`. Otherwise it is a plain pipe, as PROTOCOL.md says:
 * it sends `/nick NAME` first when asked, then each line of input, and
 * shows each line received as is. When the input ends (a pipe, a file) it
 * sends `/quit`, shows what still arrives until the server closes, and
 * succeeds.
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Socket from "@effect/platform/Socket"
import * as Terminal from "@effect/platform/Terminal"
import type { Scope } from "effect"
import { Cause, Config, Console, Deferred, Effect, Exit, Fiber, Layer, Option, Stream } from "effect"
import * as Fs from "node:fs/promises"
import * as LineProtocol from "../protocol/line/LineProtocol.js"
import * as SocketTcp from "../socket/SocketTcp.js"
import * as SocketTls from "../socket/SocketTls.js"
import { ConnectFailed, describeErrno, InputFailed, ServerClosed } from "./ClientError.js"
import type { OutputFailed } from "./ClientError.js"
import * as TerminalClient from "./TerminalClient.js"

export { ConnectFailed, describeErrno, InputFailed, OutputFailed, ServerClosed } from "./ClientError.js"

export interface ClientOptions {
  readonly host: string
  readonly port: number
  readonly nick: Option.Option<string>
  /** At a terminal: when the connection is lost, connect again (with backoff) and take back nick and room. */
  readonly reconnect: boolean
  /** Over TLS, verifying the server's certificate (against `ca` if given, else the system's authorities). */
  readonly tls: boolean
  /** A PEM file of the authority to trust (implies `tls`). */
  readonly ca: Option.Option<string>
  /** Over TLS without verifying the certificate (implies `tls`). */
  readonly insecure: boolean
}

export type ClientError = ConnectFailed | ServerClosed | InputFailed | OutputFailed

const stdoutWrite = (chunk: Uint8Array): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    process.stdout.write(chunk, () => resume(Effect.void))
  })

const inputLines: Stream.Stream<string, InputFailed> = NodeStream.fromReadable<InputFailed, Uint8Array>(
  () => process.stdin,
  (cause) => new InputFailed({ cause })
).pipe(Stream.decodeText(), Stream.splitLines)

const addressOf = (options: ClientOptions): string => `${options.host}:${options.port}`

const insecureWarning = "WARNING: --insecure: the server's certificate is NOT verified. " +
  "Anyone between you and the server can read and change this conversation."

/** The `--ca` file's text; unreadable, the connection fails before it starts. */
const readCa = (file: string): Effect.Effect<string, Socket.SocketError> =>
  Effect.tryPromise({
    try: () => Fs.readFile(file, "utf8"),
    catch: (error) =>
      new Socket.SocketGenericError({
        reason: "Open",
        cause: new Error(`cannot read --ca ${file}: ${describeErrno(error)}`)
      })
  })

/** How to open a connection: over TCP, or over TLS as the options say (the CA file read once, here). */
const connector = (
  options: ClientOptions
): Effect.Effect<Effect.Effect<Socket.Socket, ConnectFailed, Scope.Scope>, ConnectFailed> =>
  Effect.gen(function*() {
    const fail = (cause: Socket.SocketError) => new ConnectFailed({ address: addressOf(options), cause })
    if (!options.tls && Option.isNone(options.ca) && !options.insecure) {
      return SocketTcp.connect(options).pipe(Effect.mapError(fail))
    }
    if (options.insecure) yield* Console.error(insecureWarning)
    const ca = Option.isSome(options.ca) ? yield* readCa(options.ca.value).pipe(Effect.mapError(fail)) : undefined
    return SocketTls.connect({ host: options.host, port: options.port, ca, insecure: options.insecure }).pipe(
      Effect.mapError(fail)
    )
  })

/** With input from a pipe or a file, or output to one: lines in, lines out, as is. */
const piped = (
  options: ClientOptions,
  connect: Effect.Effect<Socket.Socket, ConnectFailed, Scope.Scope>
): Effect.Effect<void, ConnectFailed | ServerClosed | InputFailed> =>
  Effect.gen(function*() {
    const address = addressOf(options)
    const socket = yield* connect
    const write = yield* socket.writer
    const quitSent = yield* Deferred.make<void>()
    const send = (line: string) =>
      write(`${line}\n`).pipe(
        Effect.zipRight(LineProtocol.isQuit(line) ? Deferred.succeed(quitSent, undefined) : Effect.void)
      )

    const receiving = yield* socket.run(stdoutWrite).pipe(Effect.exit, Effect.fork)
    const sending = yield* Effect.gen(function*() {
      if (Option.isSome(options.nick)) yield* send(`/nick ${options.nick.value}`)
      yield* inputLines.pipe(Stream.runForEach(send))
      yield* send("/quit")
    }).pipe(Effect.fork)

    // The server closing the connection ends the session, whether or not the input has.
    yield* Fiber.await(receiving)
    yield* Fiber.interrupt(sending)
    // A write that failed because the server went away says nothing new; unreadable input does.
    const inputError = Exit.causeOption(yield* Fiber.await(sending)).pipe(
      Option.flatMap(Cause.failureOption),
      Option.filter((error) => error instanceof InputFailed)
    )
    if (Option.isSome(inputError)) return yield* inputError.value
    if (!(yield* Deferred.isDone(quitSent))) return yield* new ServerClosed({ address })
  }).pipe(Effect.scoped)

/** The platform's terminal, except that Ctrl-C and Ctrl-D are keys like any other: the client decides what they do. */
const terminalLayer = Layer.scoped(Terminal.Terminal, NodeTerminal.make(() => false))

/** `NO_COLOR` set to anything but the empty string turns colour off (https://no-color.org). */
const colourWanted: Effect.Effect<boolean> = Config.string("NO_COLOR").pipe(
  Config.withDefault(""),
  Effect.map((value) => value === ""),
  Effect.orElseSucceed(() => true)
)

/** At a terminal: the interactive client. */
const interactive = (
  options: ClientOptions,
  connect: Effect.Effect<Socket.Socket, ConnectFailed, Scope.Scope>
): Effect.Effect<void, ClientError> =>
  Effect.gen(function*() {
    const first = yield* connect
    yield* TerminalClient.run({
      address: addressOf(options),
      connect,
      first,
      nick: options.nick,
      reconnect: options.reconnect,
      colour: yield* colourWanted
    })
  }).pipe(Effect.scoped, Effect.provide(terminalLayer))

export const run = (options: ClientOptions): Effect.Effect<void, ClientError> =>
  Effect.flatMap(
    connector(options),
    (connect) => process.stdin.isTTY && process.stdout.isTTY ? interactive(options, connect) : piped(options, connect)
  )
