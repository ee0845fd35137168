/**
 * Embedding the chat server in your own Effect app: its Layer goes into your
 * Layer graph next to your own services, and shuts down with them.
 *
 *   node --import tsx examples/embed.ts     (or compile it with your app)
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ChatTcp, Hub } from "chat"
import { Effect, Layer, Schedule } from "effect"

/** Your app: here, a service that logs who is online every minute. */
const Census = Layer.scopedDiscard(
  Effect.gen(function*() {
    const hub = yield* Hub
    yield* hub.snapshot.pipe(
      Effect.flatMap((state) => Effect.logInfo(`${state.clients} people in ${state.rooms.length} rooms`)),
      Effect.repeat(Schedule.spaced("1 minute")),
      Effect.forkScoped
    )
  })
)

/** The chat server over TCP, with your options; the Hub it provides is yours to use. */
export const Chat = ChatTcp.layer({ host: "127.0.0.1", port: 8888, history: 100, idleTimeout: "30m" })

export const App = Census.pipe(Layer.provide(Chat))

// Runs until SIGINT/SIGTERM, then every client is told `*** server shutting down`.
if (process.argv[1]?.endsWith("embed.ts")) Layer.launch(App).pipe(NodeRuntime.runMain)
