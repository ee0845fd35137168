/**
 * The `chat` executable. Failures the user can act on (a bad option, a port
 * in use, a server that cannot be reached) print one line and exit 1.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Logger } from "effect"
import * as Cli from "./Cli.js"

const logToStderr = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))

const oneLine = (message: string) => Console.error(`chat: ${message}`).pipe(Effect.zipRight(Effect.fail(message)))

Cli.run(process.argv).pipe(
  Effect.catchTags({
    InvalidConfig: (error) => oneLine(`--${error.option} ${error.message}`),
    ListenFailed: (error) => oneLine(error.message),
    ConnectFailed: (error) => oneLine(error.message),
    ServerClosed: (error) => oneLine(error.message),
    InputFailed: (error) => oneLine(error.message)
  }),
  Effect.provide(NodeContext.layer),
  Effect.provide(logToStderr),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
