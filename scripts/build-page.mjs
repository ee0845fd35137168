// Builds the chat page into dist/web/: the script bundled by esbuild (with
// the message Schemas it shares with the server), the HTML and CSS copied.
// Run by `npm run build`, itself run by `npm install` (`prepare`).
import * as esbuild from "esbuild"
import { copyFile, mkdir } from "node:fs/promises"

const source = new URL("../src/web/page/", import.meta.url)
const out = new URL("../dist/web/", import.meta.url)
await mkdir(out, { recursive: true })
await esbuild.build({
  entryPoints: [new URL("main.ts", source).pathname],
  outfile: new URL("app.js", out).pathname,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning"
})
await copyFile(new URL("index.html", source), new URL("index.html", out))
await copyFile(new URL("style.css", source), new URL("style.css", out))
