/**
 * The server's metrics, as Effect `Metric`s: what operators watch. Exported
 * in Prometheus' format by `Prometheus.ts`; defined here so that the modules
 * that count (`Connection`, `Outbox` through it, `FloodControl`) need nothing
 * but these values.
 *
 * Labels are `transport` (the protocol's name: `line`, `ws`...), `kind` and
 * `reason` only, never a nick or a room: their number stays small whatever
 * users do.
 *
 * Counted where it is cheap: the hot path (one delivery per recipient per
 * event) updates a counter through a tag set resolved once per connection.
 */
import { Metric, MetricLabel } from "effect"

/** Open connections (a gauge: up and down). */
export const connections = Metric.counter("chat_connections", {
  description: "Open connections, by transport."
})
export const connects = Metric.counter("chat_connects", {
  incremental: true,
  description: "Connections accepted, by transport."
})
export const disconnects = Metric.counter("chat_disconnects", {
  incremental: true,
  description: "Connections ended, by transport and reason (quit, closed, idle, tooslow, shuttingdown...)."
})
export const refused = Metric.counter("chat_refused", {
  incremental: true,
  description: "Connections refused because the server was full, by transport."
})
export const messages = Metric.counter("chat_messages", {
  incremental: true,
  description: "Commands received, by transport and kind (say, act, whisper, join, rename, error...)."
})
export const deliveries = Metric.counter("chat_deliveries", {
  incremental: true,
  description: "Messages (lines, frames) queued for clients to receive, by transport."
})
export const slowReaderCutoffs = Metric.counter("chat_slow_reader_cutoffs", {
  incremental: true,
  description: "Clients disconnected for not reading fast enough (too slow), by transport."
})
export const floodDelayed = Metric.counter("chat_flood_delayed_lines", {
  incremental: true,
  description: "Lines that waited for flood control before they were handled, by transport."
})
/** Messages waiting in outboxes for a socket that is full (a gauge). */
export const outboxBacklog = Metric.counter("chat_outbox_backlog", {
  description: "Messages waiting in clients' outboxes for their sockets to drain, by transport."
})
export const rooms = Metric.gauge("chat_rooms", { description: "Rooms with at least one member." })
export const eventLoopDelayP50 = Metric.gauge("chat_process_event_loop_delay_p50_seconds", {
  description: "Median event-loop delay since the last scrape."
})
export const eventLoopDelayP99 = Metric.gauge("chat_process_event_loop_delay_p99_seconds", {
  description: "99th percentile event-loop delay since the last scrape."
})
export const eventLoopDelayMax = Metric.gauge("chat_process_event_loop_delay_max_seconds", {
  description: "Longest event-loop delay since the last scrape."
})
export const residentMemory = Metric.gauge("chat_process_resident_memory_bytes", {
  description: "Resident set size of the process."
})
export const heapUsed = Metric.gauge("chat_process_heap_used_bytes", { description: "V8 heap in use." })

/** A counter's update with its labels resolved once: for the hot path. */
export interface Count {
  readonly add: (n: number) => void
}

// Effect finds a metric's series by the identity of its label array: one
// array per series, reused, keeps each update to a cached lookup.
const count = (metric: Metric.Metric.Counter<number>, tags: ReadonlyArray<MetricLabel.MetricLabel>): Count => ({
  add: (n) => metric.unsafeUpdate(n, tags)
})

/** Counters of one label beside `transport`, each series' labels made once. */
const byLabel = (
  metric: Metric.Metric.Counter<number>,
  transport: MetricLabel.MetricLabel,
  key: "kind" | "reason"
): (value: string) => void => {
  const series = new Map<string, Count>()
  return (value) => {
    let counter = series.get(value)
    if (counter === undefined) {
      counter = count(metric, [transport, MetricLabel.make(key, value)])
      series.set(value, counter)
    }
    counter.add(1)
  }
}

/** The counters of one transport (`line`, `ws`...). */
export const forTransport = (name: string) => {
  const transport = MetricLabel.make("transport", name)
  const tags = [transport]
  return {
    connections: count(connections, tags),
    connects: count(connects, tags),
    refused: count(refused, tags),
    deliveries: count(deliveries, tags),
    slowReaderCutoffs: count(slowReaderCutoffs, tags),
    floodDelayed: count(floodDelayed, tags),
    outboxBacklog: count(outboxBacklog, tags),
    /** By reason: `quit`, `closed`, `idle`, `tooslow`... */
    disconnect: byLabel(disconnects, transport, "reason"),
    /** By kind: `say`, `act`, `whisper`, `error`... */
    message: byLabel(messages, transport, "kind")
  } as const
}
export type TransportMetrics = ReturnType<typeof forTransport>
