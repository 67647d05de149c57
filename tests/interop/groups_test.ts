/**
 * Claims about key exchange groups against real peers, with our server (`serve()`, tests/fixtures/hello_server.ts)
 * on Deno, Bun and Node, reading the group from the server's own `env.tls.group`:
 * - X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem), the hybrid post-quantum group, is what Bun's fetch, headless
 *   Chromium and our client negotiate: they send a share for it first and the server prefers it. Debian 12's
 *   OpenSSL 3.0 and GnuTLS know no ML-KEM group, so no test here can use them for it.
 * - secp521r1, X448 and ffdhe2048/3072/4096 complete with `openssl s_client -groups ...` (OpenSSL then sends a share
 *   for that group only), with the group in both OpenSSL's and the server's report.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { httpsRequest } from "../../src/io/https_request.ts";
import { chromium, spkiHash } from "../_support/chromium.ts";
import { needs } from "../_support/peers.ts";
import { run, startFixture } from "../_support/processes.ts";
import { command, runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

/** The text of the table cell with this id in Chromium's serialized DOM. */
function cell(dom: string, id: string): string | undefined {
  return dom.match(new RegExp(`<td id="${id}">([^<]*)</td>`))?.[1];
}

for (const runtime of runtimes) {
  Deno.test({
    name: `X25519MLKEM768 with Bun's fetch, headless Chromium and our client, against our server on ${runtime}`,
    ...needs("bun", "chromium", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "hello_server.ts", []);
      const url = `https://localhost:${port}/json`;
      try {
        await t.step("Bun's fetch", async () => {
          const r = await run(command("bun", fixture("bun_fetch.ts"), [url, certs.ca.cert]), [], 30_000);
          assert.equal(r.code, 0, r.output);
          const { status, body } = JSON.parse(r.output.trim().split("\n").at(-1)!);
          assert.equal(status, 200);
          assert.equal(body.tls.group, "X25519MLKEM768");
          assert.equal(body.tls.version, "TLSv1.3");
        });

        await t.step("headless Chromium", async () => {
          const pin = `--ignore-certificate-errors-spki-list=${spkiHash(certs.server["ecdsa-p256"].cert)}`;
          const dom = await chromium(`https://localhost:${port}/`, [pin, "--dump-dom"]);
          assert.equal(cell(dom, "key-exchange-group"), "X25519MLKEM768", dom);
          assert.equal(cell(dom, "protocol"), "TLSv1.3");
        });

        await t.step("our client, with its default key shares", async () => {
          const response = await httpsRequest(url, { ca: { path: certs.ca.cert } });
          assert.equal(response.status, 200);
          assert.equal(response.tls.group, "X25519MLKEM768", "what our client saw");
          assert.equal(JSON.parse(new TextDecoder().decode(response.body)).tls.group, "X25519MLKEM768");
        });
      } finally {
        await child.stop();
      }
    },
  });
}

/** OpenSSL's -groups names for ours. */
const opensslGroups: [string, string][] = [
  ["P-521", "secp521r1"],
  ["X448", "x448"],
  ["ffdhe2048", "ffdhe2048"],
  ["ffdhe3072", "ffdhe3072"],
  ["ffdhe4096", "ffdhe4096"],
];

for (const runtime of runtimes) {
  Deno.test({
    name: `openssl s_client -groups P-521, X448, ffdhe2048/3072/4096 against our server on ${runtime}`,
    ...needs("openssl", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "hello_server.ts", []);
      try {
        for (const [flag, group] of opensslGroups) {
          await t.step(group, async () => {
            const request = "GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            const r = await run(
              [
                "openssl",
                "s_client",
                "-connect",
                `127.0.0.1:${port}`,
                "-servername",
                "localhost",
                "-CAfile",
                certs.ca.cert,
                "-groups",
                flag,
                "-ign_eof",
              ],
              [request],
              30_000,
            );
            assert.match(r.output, /Verify return code: 0 \(ok\)/, r.output);
            // OpenSSL 3.0 names the group it agreed on in "Server Temp Key" (X448, ECDH P-521, DH 2048 bits).
            assert.match(r.output, /Server Temp Key: /);
            const json = r.output.match(/\{"hello":"world".*\}/)?.[0];
            assert.ok(json, r.output);
            assert.equal(JSON.parse(json).tls.group, group);
          });
        }
      } finally {
        await child.stop();
      }
    },
  });
}
