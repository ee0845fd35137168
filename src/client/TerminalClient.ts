/**
 * `chat connect` at a terminal: a prompt with your nick and room, lines that
 * arrive shown above what you are typing, colours, history, Tab completion,
 * and, with `--reconnect`, a session that survives the server going away.
 *
 * Three fibers feed one queue of events: the keys, the connection (lines
 * received, connected, lost, ended) and terminal resizes. One loop owns all
 * the state (the line being typed, what is known of the session, the prompt
 * area as last drawn) and is the only writer to the terminal; it takes
 * whatever events are ready and draws once for all of them, so a burst of
 * history costs one redraw. Everything it decides is done by the pure
 * modules: `LineEditor`, `ClientView`, `StyledText`, `Screen`.
 *
 * The terminal is in raw mode for the life of the scope, and the prompt area
 * is erased when the scope closes, however it closes (`/quit`, Ctrl-C,
 * Ctrl-D, the server going away, a defect).
 */
import type * as Socket from "@effect/platform/Socket"
import * as Terminal from "@effect/platform/Terminal"
import type { Scope } from "effect"
import { Data, Duration, Effect, Mailbox, Option, Queue, Ref, Schedule, Stream } from "effect"
import * as Frame from "../protocol/Frame.js"
import * as LineProtocol from "../protocol/line/LineProtocol.js"
import type { ConnectFailed } from "./ClientError.js"
import { describeSocketError, OutputFailed, ServerClosed } from "./ClientError.js"
import * as ClientView from "./ClientView.js"
import * as LineEditor from "./LineEditor.js"
import * as Screen from "./Screen.js"
import * as StyledText from "./StyledText.js"

export interface Options {
  readonly address: string
  /** A new connection, for the life of the scope. */
  readonly connect: Effect.Effect<Socket.Socket, ConnectFailed, Scope.Scope>
  /** The first connection, made before the terminal is touched so that failing to connect is one plain line. */
  readonly first: Socket.Socket
  readonly nick: Option.Option<string>
  readonly reconnect: boolean
  readonly colour: boolean
}

/** A line longer than this from the server is dropped rather than held. */
const maxLineBytes = 1 << 20
/** Events waiting for the loop; past this the connection stops reading until the loop catches up. */
const eventCapacity = 4096
/** After `/quit`, how long to wait for the server to close before leaving anyway. */
const quitGrace = Duration.seconds(2)
/** The width assumed when the terminal does not say. */
const fallbackColumns = 80

/** Waits between reconnection attempts: 1 s, doubling up to 30 s, with jitter so clients do not come back at once. */
export const reconnectSchedule = Schedule.exponential("1 second").pipe(
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(30))),
  Schedule.jittered
)

type Event = Data.TaggedEnum<{
  Key: { readonly key: LineEditor.Key }
  Received: { readonly received: ClientView.Received }
  /** `restoring` on a reconnection: what is being taken back (`nick alice and room #dev`), maybe nothing. */
  Connected: { readonly send: (line: string) => Effect.Effect<void>; readonly restoring: Option.Option<string> }
  /** The connection ended and a new one is being made. */
  Lost: { readonly reason: string }
  /** The session is over: `failure` when the server ended it, none when you quit. */
  Ended: { readonly failure: Option.Option<ServerClosed> }
  Resized: {}
}>
const Event = Data.taggedEnum<Event>()

/** The notices that open every connection; after a reconnection they are not shown again. */
const isGreeting = (received: ClientView.Received): boolean =>
  received._tag === "Notice" && (received.fact._tag === "Welcome" || received.fact._tag === "HelpHint")

/** What a new connection sends to take back your nick and room, and those in words. */
const restore = (session: ClientView.Session): { readonly commands: Array<string>; readonly what: string } => {
  const nick = ClientView.chosenNick(session)
  const room = session.room.pipe(Option.filter((room) => room.toLowerCase() !== "lobby"))
  return {
    // `/join` answers with the room's members; in the lobby `/who` does, for Tab completion.
    commands: [
      ...Option.toArray(Option.map(nick, (nick) => `/nick ${nick}`)),
      ...Option.match(room, { onNone: () => ["/who"], onSome: (room) => [`/join ${room}`] })
    ],
    what: [
      ...Option.toArray(Option.map(nick, (nick) => `nick ${nick}`)),
      ...Option.toArray(Option.map(room, (room) => `room #${room}`))
    ].join(" and ")
  }
}

// ---------------------------------------------------------------------------
// The connection: lines in as events, until it ends

/**
 * Runs one connection: sends `commands` first, then offers every line
 * received, and returns why it ended, in words.
 */
const runConnection = (
  socket: Socket.Socket,
  commands: ReadonlyArray<string>,
  restoring: Option.Option<string>,
  events: Queue.Enqueue<Event>,
  welcomed: Effect.Effect<void>
): Effect.Effect<string, never, Scope.Scope> =>
  Effect.gen(function*() {
    const write = yield* socket.writer
    // A write fails only when the connection is going away, which the reader reports.
    const send = (line: string) => Effect.ignore(write(`${line}\n`))
    yield* Effect.forEach(commands, send, { discard: true })
    yield* Queue.offer(events, Event.Connected({ send, restoring }))
    const decoder = Frame.decoder(maxLineBytes)
    const last = yield* Ref.make(Option.none<ClientView.Received>())
    const ended = yield* socket.run((chunk) => {
      const lines = decoder.push(chunk).flatMap((frame) => frame._tag === "Line" ? [frame.text] : [])
      if (lines.length === 0) return Effect.void
      const received = lines.map(ClientView.classify)
      return Effect.all([
        Ref.set(last, Option.fromNullable(received.at(-1))),
        received.some(isGreeting) ? welcomed : Effect.void,
        Queue.offerAll(events, received.map((received) => Event.Received({ received })))
      ], { discard: true })
    }).pipe(Effect.either)
    return ended._tag === "Left" ? describeSocketError(ended.left) : ClientView.whyClosed(yield* Ref.get(last))
  })

/**
 * The first connection, then, with `--reconnect`, new ones whenever one is
 * lost, restoring the nick and room the session had. Ends by offering
 * `Ended`.
 */
const connector = (
  options: Options,
  events: Queue.Enqueue<Event>,
  session: Ref.Ref<ClientView.Session>,
  quitting: Ref.Ref<boolean>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const backoff = yield* Schedule.driver(reconnectSchedule)
    // A connection that got as far as the welcome counts as a success: the next loss waits from the start again.
    const welcomed = backoff.reset
    const first = Option.match(options.nick, { onNone: () => [], onSome: (nick) => [`/nick ${nick}`] })
    let reason = yield* runConnection(options.first, [...first, "/who"], Option.none(), events, welcomed).pipe(
      Effect.scoped
    )
    while (true) {
      if (yield* Ref.get(quitting)) {
        yield* Queue.offer(events, Event.Ended({ failure: Option.none() }))
        return
      }
      if (!options.reconnect) {
        const failure = new ServerClosed({ address: options.address, reason })
        yield* Queue.offer(events, Event.Ended({ failure: Option.some(failure) }))
        return
      }
      yield* Queue.offer(events, Event.Lost({ reason }))
      reason = yield* Effect.gen(function*() {
        // Each attempt waits its turn first: the server that just went away is rarely back at once.
        const socket = yield* backoff.next(undefined).pipe(
          Effect.ignore,
          Effect.zipRight(options.connect),
          Effect.eventually
        )
        const { commands, what } = restore(yield* Ref.get(session))
        return yield* runConnection(socket, commands, Option.some(what), events, welcomed)
      }).pipe(Effect.scoped)
    }
  })

// ---------------------------------------------------------------------------
// The terminal

const keys = (terminal: Terminal.Terminal, events: Queue.Enqueue<Event>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const input = yield* terminal.readInput
    yield* Mailbox.toStream(input).pipe(
      Stream.filterMap(LineEditor.keyOf),
      Stream.runForEach((key) => Queue.offer(events, Event.Key({ key })))
    )
  })

const resizes = (events: Queue.Enqueue<Event>): Effect.Effect<void> =>
  Stream.async<void>((emit) => {
    const onResize = () => void emit.single(undefined)
    process.stdout.on("resize", onResize)
    return Effect.sync(() => process.stdout.off("resize", onResize))
  }).pipe(Stream.runForEach(() => Queue.offer(events, Event.Resized())))

// ---------------------------------------------------------------------------
// The loop

interface State {
  readonly editor: LineEditor.LineEditor
  readonly session: ClientView.Session
  readonly send: Option.Option<(line: string) => Effect.Effect<void>>
  /** Set on a reconnection: its greeting is not shown again. */
  readonly quietGreeting: boolean
  readonly quitting: boolean
  /** Ctrl-L: clear the screen at the next draw. */
  readonly clear: boolean
  readonly ended: Option.Option<Option.Option<ServerClosed>>
}

/** The session at a terminal, until you quit (success) or the server ends it (`ServerClosed`). */
export const run = (
  options: Options
): Effect.Effect<void, ServerClosed | OutputFailed, Terminal.Terminal | Scope.Scope> =>
  Effect.gen(function*() {
    const terminal = yield* Terminal.Terminal
    const scope = yield* Effect.scope
    const events = yield* Queue.bounded<Event>(eventCapacity)
    const sessionRef = yield* Ref.make(ClientView.initial)
    const quittingRef = yield* Ref.make(false)
    const drawn = yield* Ref.make(Screen.blank)
    const display = (text: string) =>
      terminal.display(text).pipe(Effect.mapError((cause) => new OutputFailed({ cause })))

    // However the session ends, the prompt area goes and the conversation stays on the screen.
    yield* Effect.addFinalizer(() =>
      Ref.get(drawn).pipe(Effect.flatMap((frame) => Effect.ignore(display(Screen.erase(frame)))))
    )
    yield* Effect.forkScoped(keys(terminal, events))
    yield* Effect.forkScoped(resizes(events))
    yield* Effect.forkScoped(connector(options, events, sessionRef, quittingRef))

    const columns = terminal.columns.pipe(Effect.map((n) => n > 0 ? n : fallbackColumns))

    /**
     * Sends `line` (a `/quit`) and waits for the server to close, at most
     * `quitGrace`. Offline, or asked a second time, leaves at once.
     */
    const leave = (state: State, line: string): Effect.Effect<State> =>
      Option.match(state.send, {
        onNone: () => Effect.succeed<State>({ ...state, ended: Option.some(Option.none()) }),
        onSome: (send) =>
          state.quitting ?
            Effect.succeed<State>({ ...state, ended: Option.some(Option.none()) }) :
            Effect.gen(function*() {
              yield* Ref.set(quittingRef, true)
              yield* send(line)
              yield* Effect.sleep(quitGrace).pipe(
                Effect.zipRight(Queue.offer(events, Event.Ended({ failure: Option.none() }))),
                Effect.forkIn(scope)
              )
              return { ...state, quitting: true }
            })
      })

    const submit = (state: State, line: string, above: Array<ClientView.Rendered>): Effect.Effect<State> => {
      if (state.quitting) return Effect.succeed(state)
      if (LineProtocol.isQuit(line)) return leave(state, line)
      if (Option.isNone(state.send)) {
        above.push(ClientView.info("not sent: offline, reconnecting (up arrow brings the line back)"))
        return Effect.succeed(state)
      }
      const echo = ClientView.echo(line, state.session)
      if (Option.isSome(echo)) above.push(ClientView.render(echo.value, state.session))
      return state.send.value(line).pipe(Effect.as(state))
    }

    const press = (state: State, key: LineEditor.Key, above: Array<ClientView.Rendered>) => {
      const completions = { commands: ClientView.commands, nicks: () => ClientView.completions(state.session) }
      const [editor, action] = LineEditor.press(state.editor, key, completions)
      const next = { ...state, editor }
      return LineEditor.Action.$match(action, {
        Edited: () => Effect.succeed(next),
        ClearScreen: () => Effect.succeed({ ...next, clear: true }),
        Quit: () => leave(next, "/quit"),
        Submit: ({ line }) => submit(next, line, above)
      })
    }

    /** Applies one event; lines to show above the prompt go to `above`. */
    const step = (state: State, event: Event, above: Array<ClientView.Rendered>): Effect.Effect<State> =>
      Event.$match(event, {
        Key: ({ key }) => press(state, key, above),
        Received: ({ received }) => {
          const session = ClientView.track(state.session, received)
          if (!(state.quietGreeting && isGreeting(received))) above.push(ClientView.render(received, session))
          return Ref.set(sessionRef, session).pipe(Effect.as({ ...state, session }))
        },
        Connected: ({ restoring, send }) => {
          if (Option.isSome(restoring)) {
            const what = restoring.value === "" ? "" : `; taking back ${restoring.value}`
            above.push(ClientView.info(`reconnected to ${options.address}${what}`))
          }
          return Effect.succeed({ ...state, send: Option.some(send), quietGreeting: Option.isSome(restoring) })
        },
        Lost: ({ reason }) => {
          above.push(ClientView.info(`connection lost: ${reason}; reconnecting`))
          return Effect.succeed({ ...state, send: Option.none() })
        },
        Ended: ({ failure }) => Effect.succeed({ ...state, ended: Option.some(failure) }),
        Resized: () => Effect.succeed(state)
      })

    let state: State = {
      editor: LineEditor.empty,
      session: ClientView.initial,
      send: Option.none(),
      quietGreeting: false,
      quitting: false,
      clear: false,
      ended: Option.none()
    }
    while (true) {
      const batch = yield* Queue.takeBetween(events, 1, eventCapacity)
      const above: Array<ClientView.Rendered> = []
      for (const event of batch) state = yield* step(state, event, above)
      const width = yield* columns
      const rows = above.flatMap(({ indent, spans }) =>
        StyledText.wrap(spans, width, indent).map((row) => StyledText.render(row, options.colour))
      )
      const prompt = ClientView.prompt(state.session, Option.isSome(state.send))
      const frame = Screen.layout(prompt, state.editor.text, state.editor.cursor, width, options.colour)
      const previous = state.clear ? Screen.blank : Screen.resized(yield* Ref.get(drawn), width)
      yield* display((state.clear ? Screen.clearScreen : "") + Screen.draw(previous, rows, frame))
      yield* Ref.set(drawn, frame)
      state = { ...state, clear: false }
      if (Option.isSome(state.ended)) {
        const failure = state.ended.value
        if (Option.isSome(failure)) return yield* failure.value
        return
      }
    }
  })
