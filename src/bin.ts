/**
 * The `chat` executable. Failures the user can act on (a bad option, a port
 * in use, a server that cannot be reached) print one line, `chat: …`, on
 * stderr and exit 1.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Logger } from "effect"
import * as Cli from "./Cli.js"

const logToStderr = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))

/**
 * `@effect/cli` prints its own validation errors (`--frob`, `--port abc`)
 * with `Console.error`; this makes them, and ours, one `chat: …` line.
 */
const oneLineErrors = (console: Console.Console): Console.Console => ({
  ...console,
  error: (...args) => console.error(`chat: ${args.map(String).join(" ").trim()}`)
})

const reportAndFail = (message: string) => Console.error(message).pipe(Effect.zipRight(Effect.fail(message)))

const main = Cli.run(process.argv).pipe(
  Effect.catchTags({
    InvalidConfig: (error) => reportAndFail(`--${error.option} ${error.message}`),
    ListenFailed: (error) => reportAndFail(error.message),
    ClusterFailed: (error) => reportAndFail(error.message),
    TlsError: (error) => reportAndFail(error.message),
    ConnectFailed: (error) => reportAndFail(error.message),
    ServerClosed: (error) => reportAndFail(error.message),
    InputFailed: (error) => reportAndFail(error.message),
    OutputFailed: (error) => reportAndFail(error.message)
  })
)

Console.consoleWith((console) => Console.withConsole(main, oneLineErrors(console))).pipe(
  Effect.provide(NodeContext.layer),
  Effect.provide(logToStderr),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
