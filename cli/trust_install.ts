/**
 * `tls13-hono certs --install`: adds the development CA to the NSS databases that Chromium (~/.pki/nssdb) and Firefox
 * (one per profile) read on Linux, with NSS's `certutil` (Debian: libnss3-tools), as mkcert does. Only databases that
 * exist are touched: a browser makes its own on first start. Trusting the CA system-wide needs root and differs per
 * system, so that is printed, not done.
 */
import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** One NSS database and what happened to it. */
export interface NssResult {
  /** The database directory. */
  readonly dir: string;
  /** Which browser reads it. */
  readonly browser: "Chromium" | "Firefox";
  /** Null when the CA was added; otherwise certutil's complaint. */
  readonly error: string | null;
}

/** What `installCa` did. */
export interface InstallResult {
  /** False when certutil is not installed: nothing was done. */
  readonly certutil: boolean;
  /** Every database found, with the outcome. */
  readonly databases: readonly NssResult[];
}

function run(file: string, args: string[]): Promise<{ ok: boolean; output: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const missing = (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
      resolve({ ok: error === null, output: `${stdout}${stderr}`.trim(), missing });
    });
  });
}

async function hasDatabase(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, "cert9.db"))).isFile();
  } catch {
    return false;
  }
}

async function firefoxProfiles(home: string): Promise<string[]> {
  const roots = [join(home, ".mozilla", "firefox"), join(home, "snap", "firefox", "common", ".mozilla", "firefox")];
  const found: string[] = [];
  for (const root of roots) {
    let entries: string[];
    try {
      entries = await readdir(root);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      if (await hasDatabase(join(root, entry))) found.push(join(root, entry));
    }
  }
  return found;
}

/** The NSS databases of the user's browsers, by directory. */
export async function findNssDatabases(
  home: string = homedir(),
): Promise<{ dir: string; browser: NssResult["browser"] }[]> {
  const found: { dir: string; browser: NssResult["browser"] }[] = [];
  const chromium = join(home, ".pki", "nssdb");
  if (await hasDatabase(chromium)) found.push({ dir: chromium, browser: "Chromium" });
  for (const dir of await firefoxProfiles(home)) found.push({ dir, browser: "Firefox" });
  return found;
}

/** Adds `caPath` as a trusted CA for TLS servers ("C,,") under `nickname` to every NSS database found. */
export async function installCa(caPath: string, nickname: string, home: string = homedir()): Promise<InstallResult> {
  const version = await run("certutil", ["-H"]);
  if (version.missing) return { certutil: false, databases: [] };
  const databases: NssResult[] = [];
  for (const db of await findNssDatabases(home)) {
    const r = await run("certutil", ["-d", `sql:${db.dir}`, "-A", "-t", "C,,", "-n", nickname, "-i", caPath]);
    databases.push({ ...db, error: r.ok ? null : r.output || "certutil failed" });
  }
  return { certutil: true, databases };
}

/** How to trust `caPath` for every program on this kind of system (needs an administrator). */
export function systemTrustAdvice(caPath: string, platform: string = process.platform): string[] {
  switch (platform) {
    case "darwin":
      return [`sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${caPath}`];
    case "win32":
      return [`certutil -addstore -f ROOT ${caPath}    (in an administrator prompt)`];
    default:
      return [
        `Debian, Ubuntu: sudo cp ${caPath} /usr/local/share/ca-certificates/tls13-hono-dev.crt && ` +
        "sudo update-ca-certificates",
        `Fedora, RHEL, Arch: sudo trust anchor --store ${caPath}`,
      ];
  }
}
