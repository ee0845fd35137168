/**
 * How `chat connect` fails: each a tagged error the `chat` command prints as
 * one line, `chat: …`, before exiting 1.
 */
import type * as Socket from "@effect/platform/Socket"
import { Data } from "effect"

/** The server could not be reached. */
export class ConnectFailed extends Data.TaggedError("ConnectFailed")<{
  readonly address: string
  readonly cause: Socket.SocketError
}> {
  override get message(): string {
    return `cannot connect to ${this.address}: ${describeSocketError(this.cause)}`
  }
}

/** The server closed the connection before the user quit; `reason` says why when it is known. */
export class ServerClosed extends Data.TaggedError("ServerClosed")<{
  readonly address: string
  readonly reason?: string | undefined
}> {
  override get message(): string {
    return this.reason === undefined
      ? `the server at ${this.address} closed the connection`
      : `disconnected from ${this.address}: ${this.reason}`
  }
}

/** The input could not be read. */
export class InputFailed extends Data.TaggedError("InputFailed")<{ readonly cause: unknown }> {
  override get message(): string {
    return `cannot read input: ${String(this.cause)}`
  }
}

/** The terminal could not be written to. */
export class OutputFailed extends Data.TaggedError("OutputFailed")<{ readonly cause: unknown }> {
  override get message(): string {
    return `cannot write to the terminal: ${describeErrno(this.cause)}`
  }
}

const errnoDescriptions: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed"
}

/** A Node error's code in words (`ECONNREFUSED` → `connection refused`). */
export const describeErrno = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  if (code !== undefined && code in errnoDescriptions) return errnoDescriptions[code]!
  return cause instanceof Error ? cause.message : String(cause)
}

/** A socket error in words. */
export const describeSocketError = (error: Socket.SocketError): string =>
  error.reason === "Close" ? "closed" : describeErrno(error.cause)
