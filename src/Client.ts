/**
 * `chat connect`: the protocol spoken for a person. Sends `/nick NAME` first
 * when asked, then each line of input, and shows each line received as is.
 * When the input ends (a pipe, a file, Ctrl-D) it sends `/quit`, shows what
 * still arrives until the server closes, and succeeds.
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Socket from "@effect/platform/Socket"
import { Cause, Data, Deferred, Effect, Exit, Fiber, Option, Stream } from "effect"
import * as SocketTcp from "./SocketTcp.js"

export interface ClientOptions {
  readonly host: string
  readonly port: number
  readonly nick: Option.Option<string>
}

/** The server could not be reached. */
export class ConnectFailed extends Data.TaggedError("ConnectFailed")<{
  readonly address: string
  readonly cause: Socket.SocketError
}> {
  override get message(): string {
    return `cannot connect to ${this.address}: ${describeSocketError(this.cause)}`
  }
}

/** The server closed the connection before the user quit. */
export class ServerClosed extends Data.TaggedError("ServerClosed")<{ readonly address: string }> {
  override get message(): string {
    return `the server at ${this.address} closed the connection`
  }
}

/** The input could not be read. */
export class InputFailed extends Data.TaggedError("InputFailed")<{ readonly cause: unknown }> {
  override get message(): string {
    return `cannot read input: ${String(this.cause)}`
  }
}

const errnoDescriptions: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host",
  ECONNRESET: "connection reset"
}

/** A Node error's code in words (`ECONNREFUSED` → `connection refused`). */
export const describeErrno = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  if (code !== undefined && code in errnoDescriptions) return errnoDescriptions[code]!
  return cause instanceof Error ? cause.message : String(cause)
}

const describeSocketError = (error: Socket.SocketError): string =>
  error.reason === "Close" ? "closed" : describeErrno(error.cause)

const stdoutWrite = (chunk: Uint8Array): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    process.stdout.write(chunk, () => resume(Effect.void))
  })

const inputLines: Stream.Stream<string, InputFailed> = NodeStream.fromReadable<InputFailed, Uint8Array>(
  () => process.stdin,
  (cause) => new InputFailed({ cause })
).pipe(Stream.decodeText(), Stream.splitLines)

const isQuit = (line: string): boolean => /^\/quit(\s|$)/i.test(line)

export const run = (options: ClientOptions): Effect.Effect<void, ConnectFailed | ServerClosed | InputFailed> =>
  Effect.gen(function*() {
    const address = `${options.host}:${options.port}`
    const socket = yield* SocketTcp.connect(options).pipe(
      Effect.mapError((cause) => new ConnectFailed({ address, cause }))
    )
    const write = yield* socket.writer
    const quitSent = yield* Deferred.make<void>()
    const send = (line: string) =>
      write(`${line}\n`).pipe(Effect.zipRight(isQuit(line) ? Deferred.succeed(quitSent, undefined) : Effect.void))

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
