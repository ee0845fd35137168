/**
 * Certificates made at test time with the system's `openssl` (Debian's
 * package; `.ci/run` installs it), in a fresh temporary directory:
 *
 * - `ca`: a private certificate authority (`ca.pem`), as `--ca` takes it;
 * - `server`: signed by it, valid for 127.0.0.1 and localhost (CN `chat-one`);
 * - `renewed`: the same, another key (CN `chat-two`), for a reload;
 * - `wrongHost`: signed by the CA but only valid for `other.example`;
 * - `selfSigned`: valid for 127.0.0.1, signed by nobody anyone trusts.
 *
 * EC keys: each takes milliseconds to make, where RSA takes a second.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** Whether `openssl` can be run here; the TLS tests are skipped without it. */
export const hasOpenssl: boolean = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0

export interface KeyPair {
  readonly cert: string
  readonly key: string
}

export interface TestCertificates {
  readonly dir: string
  /** The CA's certificate file. */
  readonly ca: string
  readonly server: KeyPair
  readonly renewed: KeyPair
  readonly wrongHost: KeyPair
  readonly selfSigned: KeyPair
  /** Removes the directory. */
  readonly remove: () => void
}

const openssl = (cwd: string, ...args: Array<string>): void => {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] })
}

const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/** A key and a certificate for `cn`, valid for `altNames`, signed by the CA in `dir`. */
const signed = (dir: string, name: string, cn: string, altNames: string): KeyPair => {
  openssl(dir, "req", ...newKey, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`)
  Fs.writeFileSync(Path.join(dir, `${name}.ext`), `subjectAltName=${altNames}\n`)
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`
  )
  return { cert: Path.join(dir, `${name}.pem`), key: Path.join(dir, `${name}-key.pem`) }
}

export const makeCertificates = (): TestCertificates => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chat-tls-"))
  openssl(
    dir,
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=chat test CA"
  )
  const local = "IP:127.0.0.1,DNS:localhost"
  openssl(
    dir,
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "self-key.pem",
    "-out",
    "self.pem",
    "-days",
    "2",
    "-subj",
    "/CN=chat-self",
    "-addext",
    `subjectAltName=${local}`
  )
  return {
    dir,
    ca: Path.join(dir, "ca.pem"),
    server: signed(dir, "server", "chat-one", local),
    renewed: signed(dir, "renewed", "chat-two", local),
    wrongHost: signed(dir, "wrong", "chat-wrong", "DNS:other.example"),
    selfSigned: { cert: Path.join(dir, "self.pem"), key: Path.join(dir, "self-key.pem") },
    remove: () => Fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Copies `pair` to `into` (the files a server was started with), as an operator renewing a certificate would. */
export const install = (pair: KeyPair, into: KeyPair): void => {
  Fs.copyFileSync(pair.cert, into.cert)
  Fs.copyFileSync(pair.key, into.key)
}
