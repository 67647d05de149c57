/**
 * A development CA and certificates, in the spirit of mkcert: `deno run -A certs/generate.ts [--force] [dir]`.
 *
 * Also importable: `ensureDevCerts(dir)` creates what is missing (the example server calls it on first run) and
 * returns the paths. Made with @peculiar/x509 over WebCrypto, so it runs on Deno, Bun and Node alike.
 *
 * Output (default certs/out/, git-ignored) is described file by file in manifest.json: the CA, server
 * certificates for localhost/127.0.0.1/::1 with ECDSA P-256, Ed25519 and RSA-2048 keys, a second SNI host,
 * client certificates (good, from an unknown CA, expired), and bad/ fixtures, one per verification failure.
 * Only one RSA key is generated: RSA key generation is the slow part.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Bundle, bundleFiles, type FileInfo, type Issued, makeBundles } from "./bundles.ts";
import {
  addDays,
  certPem,
  type DevKeyType,
  exportPkcs8Pem,
  generateKeys,
  issue,
  randomSerial,
  type Signer,
} from "./issue.ts";

/** The key types of the server certificates `ensureDevCerts` makes. */
export type ServerKeyType = Exclude<DevKeyType, "ecdsa-p384">;

/** A certificate file and its key file. */
export interface CertKeyPaths {
  /** The certificate (PEM). */
  readonly cert: string;
  /** Its private key (PKCS#8 PEM). */
  readonly key: string;
}

/** Paths of everything ensureDevCerts makes, relative files resolved against the output directory. */
export interface DevCerts {
  /** The output directory, absolute. */
  readonly dir: string;
  /** manifest.json: what every file is and what verification should say about it. */
  readonly manifest: string;
  /** The development root CA. Trust `ca.cert` in clients; never share `ca.key`. */
  readonly ca: CertKeyPaths;
  /** Server certificates for localhost, 127.0.0.1 and ::1, one per key type. */
  readonly server: Readonly<Record<ServerKeyType, CertKeyPaths>>;
  /** The ECDSA server key again, in SEC1 form. */
  readonly serverEcdsaKeySec1: string;
  /** The RSA server key again, in PKCS#1 form. */
  readonly serverRsaKeyPkcs1: string;
  /** A server certificate for alt.localhost, for SNI. */
  readonly alt: CertKeyPaths;
  /** A client certificate (EKU clientAuth). */
  readonly client: CertKeyPaths;
  /** A client certificate issued by `unknownCa`, which nobody trusts. */
  readonly clientUnknownCa: CertKeyPaths;
  /** The CA that issued `clientUnknownCa`. */
  readonly unknownCa: string;
  /** A client certificate that has expired. */
  readonly clientExpired: CertKeyPaths;
  /** bad/ fixtures by name (file name without ".pem"), e.g. bad["expired"]. */
  readonly bad: Readonly<Record<string, string>>;
  /** Files written by this call (relative to dir); empty when everything already existed. */
  readonly created: readonly string[];
}

/** Options of `ensureDevCerts` and `ensureHostCerts`. */
export interface EnsureOptions {
  /** Regenerate everything, even what exists. */
  readonly force?: boolean;
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
}

/** certs/out/ beside this module: the repository's default. A package user passes a directory instead. */
export const defaultOutDir = (): string => fileURLToPath(new URL("./out/", import.meta.url));

/** An output directory being filled: where files go, what was written, and the CA to issue with. */
export interface OutDir {
  readonly path: string;
  readonly now: Date;
  readonly created: string[];
  readonly ca: Signer;
  /** True when the CA was made by this run: everything it issued before is then replaced. */
  readonly caFresh: boolean;
  write(file: string, text: string): Promise<void>;
}

/** Opens `dir` for writing and makes sure it holds the CA (made when missing, or when `force`). */
export async function openOutDir(dir: string, options: EnsureOptions): Promise<OutDir> {
  const path = resolve(dir);
  const created: string[] = [];
  const write = async (file: string, text: string) => {
    const target = join(path, file);
    await mkdir(dirname(target), { recursive: true });
    // Written whole then renamed, so an interrupted run never leaves half a key behind.
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: file.includes("key") ? 0o600 : 0o644 });
    await rename(tmp, target);
    created.push(file);
  };
  const now = new Date();
  const caFresh = options.force === true || !(await allExist(path, ["ca.pem", "ca-key.pem"]));
  const ca = caFresh ? await createCa(now, write) : await loadCa(path);
  if (caFresh) options.log?.(`created development CA ${join(path, "ca.pem")}`);
  return { path, now, created, ca, caFresh, write };
}

/** Makes `bundle` unless the CA is old and every file of the bundle exists (or `remake` says otherwise). */
export async function ensureBundle(out: OutDir, bundle: Bundle, remake = false): Promise<void> {
  if (!out.caFresh && !remake && await allExist(out.path, Object.keys(bundleFiles(bundle)))) return;
  const issued: Issued = { ca: out.ca, now: out.now, write: out.write };
  await bundle.make(issued);
}

/** Creates the development CA and certificates under `dir` where missing. Idempotent unless `force`. */
export async function ensureDevCerts(dir: string = defaultOutDir(), options: EnsureOptions = {}): Promise<DevCerts> {
  const out = await openOutDir(dir, options);
  const manifest: Record<string, FileInfo> = {
    "ca.pem": { type: "ca-certificate", description: "development root CA (ECDSA P-256); trust it in clients" },
    "ca-key.pem": { type: "private-key", format: "pkcs8", keyType: "ecdsa-p256", description: "the CA's key" },
  };
  for (const bundle of makeBundles()) {
    Object.assign(manifest, bundleFiles(bundle));
    const before = out.created.length;
    await ensureBundle(out, bundle);
    if (out.created.length > before) options.log?.(`created ${bundle.name}`);
  }
  const manifestText = JSON.stringify({ generator: "certs/generate.ts", files: manifest }, null, 2) + "\n";
  if ((await readText(join(out.path, "manifest.json"))) !== manifestText) {
    await out.write("manifest.json", manifestText);
  }
  return devCertPaths(out.path, manifest, out.created);
}

async function createCa(now: Date, write: (file: string, text: string) => Promise<void>): Promise<Signer> {
  const keys = await generateKeys("ecdsa-p256");
  const tag = randomSerial().slice(0, 8);
  const cert = await issue({
    subject: `CN=tls13-hono development CA ${tag}, O=tls13-hono development`,
    keys,
    type: "ecdsa-p256",
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: addDays(now, 3650),
    ca: {},
  });
  await write("ca.pem", certPem(cert));
  await write("ca-key.pem", await exportPkcs8Pem(keys.privateKey));
  return { cert, privateKey: keys.privateKey, type: "ecdsa-p256" };
}

async function loadCa(out: string): Promise<Signer> {
  const cert = new x509.X509Certificate(await readFile(join(out, "ca.pem"), "utf8"));
  const keyPem = await readFile(join(out, "ca-key.pem"), "utf8");
  const base64 = keyPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const privateKey = await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
  return { cert, privateKey, type: "ecdsa-p256" };
}

/** True when every file exists under dir. */
export async function allExist(dir: string, files: readonly string[]): Promise<boolean> {
  for (const file of files) {
    try {
      await stat(join(dir, file));
    } catch {
      return false;
    }
  }
  return true;
}

/** A file's text, or undefined when it cannot be read. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

function devCertPaths(dir: string, manifest: Record<string, FileInfo>, created: string[]): DevCerts {
  const p = (file: string) => join(dir, file);
  const pair = (name: string) => ({ cert: p(`${name}.pem`), key: p(`${name}-key.pem`) });
  const bad: Record<string, string> = {};
  for (const file of Object.keys(manifest)) {
    if (file.startsWith("bad/")) bad[file.slice(4, -4)] = p(file);
  }
  return {
    dir,
    manifest: p("manifest.json"),
    ca: { cert: p("ca.pem"), key: p("ca-key.pem") },
    server: { "ecdsa-p256": pair("server-ecdsa"), ed25519: pair("server-ed25519"), rsa: pair("server-rsa") },
    serverEcdsaKeySec1: p("server-ecdsa-key.sec1.pem"),
    serverRsaKeyPkcs1: p("server-rsa-key.pkcs1.pem"),
    alt: pair("server-alt"),
    client: pair("client"),
    clientUnknownCa: pair("client-unknown-ca"),
    unknownCa: p("unknown-ca.pem"),
    clientExpired: pair("client-expired"),
    bad,
    created,
  };
}

function isMain(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === "boolean") return meta.main;
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const force = process.argv.includes("--force");
  const started = Date.now();
  const result = await ensureDevCerts(args[0] ?? defaultOutDir(), { force, log: (line) => console.log(line) });
  const what = result.created.length ? `wrote ${result.created.length} files` : "everything already existed";
  console.log(`${what} in ${result.dir} (${Date.now() - started} ms); see manifest.json`);
}
