/**
 * `tls13-hono certs [--dir D] [--hosts a,b] [--force] [--install]`: a development CA, a server certificate for the
 * hosts and a client certificate (certs/hosts.ts), like mkcert; `--install` adds the CA to the browsers' NSS
 * databases, and the output says how to trust it system-wide.
 */
import { relative } from "node:path";
import process from "node:process";
import { DEFAULT_HOSTS, ensureHostCerts } from "../certs/hosts.ts";
import { parseCertificate } from "../src/tls/pki/certificate.ts";
import { decodePem } from "../src/tls/pki/pem.ts";
import { readFile } from "node:fs/promises";
import { installCa, systemTrustAdvice } from "./trust_install.ts";
import { UsageError } from "./usage_error.ts";

export const certsUsage = "usage: tls13-hono certs [--dir DIR] [--hosts a.test,127.0.0.1,...] [--force] [--install]\n" +
  `  --dir      where the files go (default: certs)\n` +
  `  --hosts    names and addresses of the server certificate (default: ${DEFAULT_HOSTS.join(",")})\n` +
  "  --force    make a new CA and new certificates\n" +
  "  --install  trust the CA in Chromium's and Firefox's NSS databases (needs certutil)";

interface CertsArgs {
  dir: string;
  hosts: string[] | undefined;
  force: boolean;
  install: boolean;
}

function parseCertsArgs(argv: readonly string[]): CertsArgs {
  const args: CertsArgs = { dir: "certs", hosts: undefined, force: false, install: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`, certsUsage);
      return v;
    };
    if (arg === "--dir") args.dir = value();
    else if (arg === "--hosts") args.hosts = value().split(",");
    else if (arg === "--force") args.force = true;
    else if (arg === "--install") args.install = true;
    else if (arg === "-h" || arg === "--help") throw new UsageError("", certsUsage);
    else throw new UsageError(`unknown argument ${arg}`, certsUsage);
  }
  return args;
}

/** Runs the certs command; resolves with the exit status. */
export async function certsCommand(argv: readonly string[]): Promise<number> {
  const args = parseCertsArgs(argv);
  let certs;
  try {
    certs = await ensureHostCerts(args.dir, { hosts: args.hosts, force: args.force });
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message, certsUsage);
    throw e;
  }
  const shown = (path: string) => relative(process.cwd(), path) || ".";
  const what = certs.created.length ? `wrote ${certs.created.length} files` : "everything already existed";
  console.log(`${what} in ${shown(certs.dir)}/`);
  console.log(
    `  CA:     ${shown(certs.ca.cert)}   (its key ${shown(certs.ca.key)} can vouch for any site: keep it private)`,
  );
  console.log(`  server: ${shown(certs.server.cert)} ${shown(certs.server.key)}   for ${certs.hosts.join(", ")}`);
  console.log(`  client: ${shown(certs.client.cert)} ${shown(certs.client.key)}`);
  console.log("");
  console.log(
    `serve({ fetch: app.fetch, tls: { cert: { path: "${shown(certs.server.cert)}" }, ` +
      `key: { path: "${shown(certs.server.key)}" } } })`,
  );
  console.log(`curl --cacert ${shown(certs.ca.cert)} https://${urlHost(certs.hosts[0])}:8443/`);
  console.log("");
  if (args.install) await install(certs.ca.cert);
  else console.log(`To trust the CA in Chromium and Firefox: add --install. System-wide:`);
  for (const line of systemTrustAdvice(shown(certs.ca.cert))) console.log(`  ${line}`);
  return 0;
}

async function install(caPath: string): Promise<void> {
  const nickname = parseCertificate(decodePem(await readFile(caPath, "utf8"))[0].der).subject.commonName ??
    "tls13-hono development CA";
  const result = await installCa(caPath, nickname);
  if (!result.certutil) {
    console.log("certutil not found: install it (Debian, Ubuntu: apt install libnss3-tools; Fedora: nss-tools)");
    console.log("and run again to trust the CA in Chromium and Firefox. System-wide instead:");
    return;
  }
  if (result.databases.length === 0) {
    console.log("No Chromium or Firefox NSS database found: start the browser once, then run again. System-wide:");
    return;
  }
  for (const db of result.databases) {
    console.log(
      db.error
        ? `${db.browser}: failed (${db.error}) in ${db.dir}`
        : `${db.browser}: trusted "${nickname}" in ${db.dir}`,
    );
  }
  console.log("Restart the browser to use it. To trust the CA system-wide as well:");
}

function urlHost(host: string): string {
  if (host.startsWith("*.")) return `www.${host.slice(2)}`;
  return host.includes(":") ? `[${host}]` : host;
}
