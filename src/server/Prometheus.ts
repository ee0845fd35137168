/**
 * The metrics of `ChatMetrics` (Effect's `Metric` registry) in Prometheus'
 * text exposition format, through OpenTelemetry's Prometheus exporter: a
 * well-kept serializer rather than one written here. The exporter's own HTTP
 * server is never started; `GET /metrics` on the web listener asks `scrape`.
 *
 * Process figures (event-loop delay, memory) are read at each scrape.
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Context, Data, Effect, Layer, Metric } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"
import * as ChatMetrics from "./ChatMetrics.js"

export class ScrapeFailed extends Data.TaggedError("ScrapeFailed")<{ readonly cause: unknown }> {}

export class Prometheus extends Context.Tag("chat/Prometheus")<Prometheus, {
  /** The current metrics, as Prometheus reads them. */
  readonly scrape: Effect.Effect<string, ScrapeFailed>
}>() {}

/** The content type of the text exposition format. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/** How often the event loop is sampled, in milliseconds. */
const loopResolution = 20
// Node's histogram records the whole interval between samples: the delay is what exceeds the resolution.
const delaySeconds = (nanos: number): number =>
  Number.isFinite(nanos) ? Math.max(0, nanos / 1e6 - loopResolution) / 1000 : 0

const make = Effect.gen(function*() {
  const exporter = new PrometheusExporter({ preventServerStart: true })
  yield* Layer.buildWithScope(
    OtelMetrics.layer(() => exporter).pipe(Layer.provide(Resource.layer({ serviceName: "chat" }))),
    yield* Effect.scope
  )
  // Without target_info and otel_scope_info: a chat server's scrape shows its own metrics only.
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
  const loopDelay = monitorEventLoopDelay({ resolution: loopResolution })
  yield* Effect.acquireRelease(Effect.sync(() => loopDelay.enable()), () => Effect.sync(() => loopDelay.disable()))

  const sampleProcess = Effect.suspend(() => {
    const memory = process.memoryUsage()
    const p50 = delaySeconds(loopDelay.percentile(50))
    const p99 = delaySeconds(loopDelay.percentile(99))
    const max = delaySeconds(loopDelay.max)
    loopDelay.reset()
    return Effect.all([
      Metric.set(ChatMetrics.eventLoopDelayP50, p50),
      Metric.set(ChatMetrics.eventLoopDelayP99, p99),
      Metric.set(ChatMetrics.eventLoopDelayMax, max),
      Metric.set(ChatMetrics.residentMemory, memory.rss),
      Metric.set(ChatMetrics.heapUsed, memory.heapUsed)
    ], { discard: true })
  })

  const scrape = sampleProcess.pipe(
    Effect.zipRight(
      Effect.tryPromise({ try: () => exporter.collect(), catch: (cause) => new ScrapeFailed({ cause }) })
    ),
    Effect.map((collected) => serializer.serialize(collected.resourceMetrics))
  )
  return { scrape }
})

/** The exporter, registered for the life of the layer. */
export const layer: Layer.Layer<Prometheus> = Layer.scoped(Prometheus, make)
