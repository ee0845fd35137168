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

const trustHint = " (--ca FILE trusts a private authority)"

const errnoDescriptions: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed",
  // TLS (`chat connect --tls`): the server's certificate was refused, or the port does not speak TLS.
  DEPTH_ZERO_SELF_SIGNED_CERT: `the server's certificate is self-signed and not trusted${trustHint}`,
  SELF_SIGNED_CERT_IN_CHAIN: `the server's certificate is signed by an untrusted authority${trustHint}`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the server's certificate is signed by an unknown authority${trustHint}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `the server's certificate is signed by an unknown authority${trustHint}`,
  UNABLE_TO_GET_ISSUER_CERT: `the server's certificate is signed by an unknown authority${trustHint}`,
  CERT_SIGNATURE_FAILURE: "the server's certificate has a bad signature",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  ERR_SSL_WRONG_VERSION_NUMBER: "the server does not speak TLS on this port"
}

/** Codes whose own message says which names the certificate is valid for. */
const withDetail: Record<string, string> = {
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is not valid for this host"
}

/** A Node error's code in words (`ECONNREFUSED` → `connection refused`). */
export const describeErrno = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  if (code !== undefined && code in errnoDescriptions) return errnoDescriptions[code]!
  if (code !== undefined && code in withDetail && cause instanceof Error) {
    return `${withDetail[code]!}: ${cause.message}`
  }
  return cause instanceof Error ? cause.message : String(cause)
}

/** A socket error in words. */
export const describeSocketError = (error: Socket.SocketError): string =>
  error.reason === "Close" ? "closed" : describeErrno(error.cause)
