/**
 * Embedding a node of a cluster: the same chat server Layer as in
 * `embed.ts`, with the backplane picked by Layer. The Redis backplane makes
 * this process one node of every chat server on that Redis (and cluster
 * name); its `Cluster` service says whether Redis is reachable, for your own
 * health check.
 *
 *   redis-server &
 *   node --import tsx examples/embed-cluster.ts redis://127.0.0.1:6379 8001
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ChatServer, ServerConfig, SocketTcp } from "chat"
import * as RedisBackplane from "chat/RedisBackplane"
import { Effect, Layer, Schedule } from "effect"

const [url, port] = process.argv.slice(2)

/** Your health check: logs the node's view of the cluster every 10 s. */
const Health = Layer.scopedDiscard(
  Effect.gen(function*() {
    const cluster = yield* RedisBackplane.Cluster
    yield* cluster.status.pipe(
      Effect.flatMap((status) =>
        Effect.logInfo(
          `node ${status.node} of ${status.name}: ${status.nodes} nodes, Redis reachable: ${status.reachable}`
        )
      ),
      Effect.repeat(Schedule.spaced("10 seconds")),
      Effect.forkScoped
    )
  })
)

// The backplane is a Layer: `Backplane.layerMemory({ history: 100 })` here instead makes a chat of one process.
export const App = Layer.merge(ChatServer.layerOn, Health).pipe(
  Layer.provide(SocketTcp.layer({ host: "127.0.0.1", port: Number(port ?? 8001) })),
  Layer.provide(ServerConfig.layer({ history: 100 })),
  Layer.provide(RedisBackplane.layer({ url: url ?? "redis://127.0.0.1:6379", cluster: "chat", history: 100 }))
)

if (process.argv[1]?.endsWith("embed-cluster.ts")) Layer.launch(App).pipe(NodeRuntime.runMain)
