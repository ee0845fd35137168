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
import * as Terminal from "@effect/platform/Terminal"
import { Cause, Config, Deferred, Effect, Exit, Fiber, Layer, Option, Stream } from "effect"
import * as LineProtocol from "../protocol/line/LineProtocol.js"
import * as SocketTcp from "../socket/SocketTcp.js"
import { ConnectFailed, InputFailed, ServerClosed } from "./ClientError.js"
import type { OutputFailed } from "./ClientError.js"
import * as TerminalClient from "./TerminalClient.js"

export { ConnectFailed, describeErrno, InputFailed, OutputFailed, ServerClosed } from "./ClientError.js"

export interface ClientOptions {
  readonly host: string
  readonly port: number
  readonly nick: Option.Option<string>
  /** At a terminal: when the connection is lost, connect again (with backoff) and take back nick and room. */
  readonly reconnect: boolean
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

const connect = (options: ClientOptions) =>
  SocketTcp.connect(options).pipe(
    Effect.mapError((cause) => new ConnectFailed({ address: addressOf(options), cause }))
  )

/** With input from a pipe or a file, or output to one: lines in, lines out, as is. */
const piped = (options: ClientOptions): Effect.Effect<void, ConnectFailed | ServerClosed | InputFailed> =>
  Effect.gen(function*() {
    const address = addressOf(options)
    const socket = yield* connect(options)
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
const interactive = (options: ClientOptions): Effect.Effect<void, ClientError> =>
  Effect.gen(function*() {
    const first = yield* connect(options)
    yield* TerminalClient.run({
      address: addressOf(options),
      connect: connect(options),
      first,
      nick: options.nick,
      reconnect: options.reconnect,
      colour: yield* colourWanted
    })
  }).pipe(Effect.scoped, Effect.provide(terminalLayer))

export const run = (options: ClientOptions): Effect.Effect<void, ClientError> =>
  Effect.suspend(() => process.stdin.isTTY && process.stdout.isTTY ? interactive(options) : piped(options))
