/**
 * OCSP for the development CA: certificates that name a responder (Authority Information Access, RFC 5280
 * §4.2.2.1), one of them must-staple (RFC 7633), a delegated responder certificate (id-kp-OCSPSigning), an
 * OpenSSL index of their status, and `openssl ocsp` serving it.
 *
 *   deno run -A certs/ocsp.ts [--port 8888] [dir]
 *
 * writes <dir>/ocsp/ (default certs/out/ocsp/) and runs the responder on 127.0.0.1:<port> until interrupted.
 * Tests import `makeOcspFixtures` and `responderArgv` to do the same on a port of their own.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { encodeOid, encodeSequence, encodeTlv, encodeUnsigned } from "../src/tls/pki/der.ts";
import { defaultOutDir, ensureDevCerts } from "./generate.ts";
import { addDays, certPem, exportPkcs8Pem, generateKeys, issue, type Signer } from "./issue.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

export interface Pair {
  readonly cert: string;
  readonly key: string;
  /** Hex serial, uppercase, as OpenSSL's index writes it. */
  readonly serial: string;
}

export interface OcspFixtures {
  readonly dir: string;
  /** The issuing CA (the development CA) and its key. */
  readonly ca: { readonly cert: string; readonly key: string };
  /** Server certificates for localhost and 127.0.0.1 naming `url` as their responder (leaf, then the CA). */
  readonly good: Pair;
  readonly revoked: Pair;
  /** Not in the index: the responder answers "unknown". */
  readonly unknown: Pair;
  /** Good, and must-staple (TLS Feature status_request). */
  readonly mustStaple: Pair;
  /** Delegated responder: issued by the CA for OCSP signing. */
  readonly responder: Pair;
  /** A responder certificate from another CA: its responses must be refused. */
  readonly wrongSigner: Pair;
  readonly index: string;
  readonly url: string;
}

/** AuthorityInfoAccessSyntax with one id-ad-ocsp uniformResourceIdentifier. */
function aiaExtension(url: string): x509.Extension {
  const location = encodeTlv(0x86, new TextEncoder().encode(url));
  const value = encodeSequence(encodeSequence(encodeOid("1.3.6.1.5.5.7.48.1"), location));
  return new x509.Extension("1.3.6.1.5.5.7.1.1", false, Uint8Array.from(value));
}

/** RFC 7633 §4: Features ::= SEQUENCE OF INTEGER, with status_request (5). */
function mustStapleExtension(): x509.Extension {
  return new x509.Extension("1.3.6.1.5.5.7.1.24", false, Uint8Array.from(encodeSequence(encodeUnsigned(5))));
}

async function loadDevCa(caCert: string, caKey: string): Promise<Signer> {
  const cert = new x509.X509Certificate(await readFile(caCert, "utf8"));
  const pem = await readFile(caKey, "utf8");
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const privateKey = await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
  return { cert, privateKey, type: "ecdsa-p256" };
}

/** Issues the OCSP fixtures into `dir` for a responder at `url` (e.g. http://127.0.0.1:8888/). */
export async function makeOcspFixtures(dir: string, url: string): Promise<OcspFixtures> {
  const dev = await ensureDevCerts();
  const ca = await loadDevCa(dev.ca.cert, dev.ca.key);
  await mkdir(dir, { recursive: true });
  const now = new Date();
  const write = async (name: string, signer: Signer, o: { eku: string; extra: x509.Extension[]; dns?: string[] }) => {
    const keys = await generateKeys("ecdsa-p256");
    const cert = await issue({
      subject: `CN=${name}, O=tls13-hono development`,
      keys,
      issuer: signer,
      type: "ecdsa-p256",
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: addDays(now, 30),
      eku: [o.eku],
      dns: o.dns,
      ips: o.dns ? ["127.0.0.1"] : undefined,
      extraExtensions: o.extra,
    });
    const pair = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`), serial: cert.serialNumber };
    // Server certificates come with their issuer: a stapling server needs it to ask for and check responses.
    await writeFile(pair.cert, certPem(cert) + (o.dns ? certPem(signer.cert) : ""));
    await writeFile(pair.key, await exportPkcs8Pem(keys.privateKey), { mode: 0o600 });
    return { ...pair, serial: pair.serial.toUpperCase(), subject: cert.subject, notAfter: cert.notAfter };
  };
  const server = { eku: SERVER_AUTH, extra: [aiaExtension(url)], dns: ["localhost"] };
  const good = await write("ocsp-good", ca, server);
  const revoked = await write("ocsp-revoked", ca, server);
  const unknown = await write("ocsp-unknown", ca, server);
  const mustStaple = await write("ocsp-must-staple", ca, {
    ...server,
    extra: [...server.extra, mustStapleExtension()],
  });
  const responder = await write("ocsp-responder", ca, { eku: OCSP_SIGNING, extra: [] });
  const otherCa = await otherSigner();
  const wrongSigner = await write("ocsp-wrong-signer", otherCa, { eku: OCSP_SIGNING, extra: [] });
  const index = join(dir, "index.txt");
  const line = (p: typeof good, revokedAt?: Date) =>
    [revokedAt ? "R" : "V", indexTime(p.notAfter), revokedAt ? indexTime(revokedAt) : "", p.serial, "unknown"]
      .join("\t") + `\t/${p.subject.replace(/, /g, "/")}\n`;
  await writeFile(index, [good, mustStaple, responder].map((p) => line(p)).join("") + line(revoked, now));
  const strip = ({ cert, key, serial }: Pair) => ({ cert, key, serial });
  return {
    dir,
    ca: { cert: dev.ca.cert, key: dev.ca.key },
    good: strip(good),
    revoked: strip(revoked),
    unknown: strip(unknown),
    mustStaple: strip(mustStaple),
    responder: strip(responder),
    wrongSigner: strip(wrongSigner),
    index,
    url,
  };
}

async function otherSigner(): Promise<Signer> {
  const keys = await generateKeys("ecdsa-p256");
  const now = new Date();
  const cert = await issue({
    subject: "CN=tls13-hono not the issuer",
    keys,
    type: "ecdsa-p256",
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: addDays(now, 30),
    ca: {},
  });
  return { cert, privateKey: keys.privateKey, type: "ecdsa-p256" };
}

/** OpenSSL's index time: YYMMDDHHMMSSZ. */
function indexTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
}

export type Signing = "issuer" | "delegated" | "wrong";

/**
 * argv for `openssl ocsp` answering from the fixtures' index on 127.0.0.1:`port`, signed by the CA itself, by
 * the delegated responder, or by a responder of another CA; responses are valid for `minutes` (nextUpdate).
 */
export function responderArgv(f: OcspFixtures, port: number, signing: Signing, minutes = 60): string[] {
  const signer = signing === "issuer" ? f.ca : signing === "delegated" ? f.responder : f.wrongSigner;
  return [
    "openssl",
    "ocsp",
    "-index",
    f.index,
    "-port",
    String(port),
    "-CA",
    f.ca.cert,
    "-rsigner",
    signer.cert,
    "-rkey",
    signer.key,
    "-nmin",
    String(minutes),
  ];
}

function isMain(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === "boolean") return meta.main;
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  const portAt = process.argv.indexOf("--port");
  const port = portAt > 0 ? Number(process.argv[portAt + 1]) : 8888;
  const args = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--port");
  const dir = join(args[0] ?? defaultOutDir(), "ocsp");
  const f = await makeOcspFixtures(dir, `http://127.0.0.1:${port}/`);
  console.log(`wrote ${dir}: ocsp-good.pem, ocsp-revoked.pem, ocsp-unknown.pem, ocsp-must-staple.pem (and keys)`);
  console.log(`OCSP responder on ${f.url} (openssl ocsp, signed by the development CA); Ctrl-C stops it`);
  const [bin, ...rest] = responderArgv(f, port, "issuer");
  const responder = spawn(bin, rest, { stdio: "inherit" });
  // The responder goes down with us, and we with it.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => responder.kill(signal));
  responder.on("exit", (code) => process.exit(code ?? 0));
}
