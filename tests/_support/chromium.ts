/**
 * Headless Chromium for the browser tests: a fresh profile per run, the flags this machine needs (no
 * background networking, which the closed network refuses), and the development certificate trusted by
 * pinning its public key.
 */
import { createHash, X509Certificate } from "node:crypto";
import { run } from "./processes.ts";

/** base64 SHA-256 of the server certificate's SubjectPublicKeyInfo, as Chromium's SPKI list wants it. */
export function spkiHash(certPath: string): string {
  const cert = new X509Certificate(Deno.readTextFileSync(certPath));
  return createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("base64");
}

/** Runs headless Chromium on `url` with a fresh profile; `extra` adds flags such as --dump-dom. */
export async function chromium(url: string, extra: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  try {
    const r = await run(
      [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        ...extra,
        url,
      ],
      [],
      60_000,
    );
    return r.output;
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}
