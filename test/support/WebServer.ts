/**
 * A real `chat serve` with its web listener: `startWebServer(args)` spawns
 * `chat serve --port 0 --http-port 0 ...args` and resolves once the server
 * has logged both `listening on` and `web chat on http://HOST:PORT/`.
 */
import type { ServerProcess } from "./ServerProcess.js"
import { startServer } from "./ServerProcess.js"

export interface WebServer extends ServerProcess {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string
  readonly httpPort: number
  /** `ws://127.0.0.1:PORT/ws` */
  readonly wsUrl: string
}

const webLine = /web chat on (http:\/\/([^/\s]+):(\d+)\/)/

export const startWebServer = async (
  args: ReadonlyArray<string> = [],
  options: { readonly port?: number; readonly httpPort?: number } = {}
): Promise<WebServer> => {
  const server = await startServer(
    ["--http-port", String(options.httpPort ?? 0), ...args],
    options.port === undefined ? {} : { port: options.port }
  )
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "web chat on" line; stderr:\n${server.stderr()}`)), 10_000)
    const check = (): void => {
      const found = webLine.exec(server.stderr())
      if (found === null) return
      clearTimeout(timer)
      server.process.stderr?.off("data", check)
      resolve(found)
    }
    server.process.stderr?.on("data", check)
    check()
  })
  const httpPort = Number(match[3])
  return {
    ...server,
    url: match[1]!,
    httpPort,
    wsUrl: `ws://${match[2]}:${httpPort}/ws`
  }
}
