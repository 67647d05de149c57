/**
 * Headless Chromium (Debian's `chromium`) loads the example page from our server on Deno, Bun and Node, with the
 * development certificate trusted by pinning its public key (`--ignore-certificate-errors-spki-list`, which
 * Chromium applies to exactly the certificates whose SPKI hash is listed). The test saves a screenshot under
 * tests/output/ and reads the page text: TLS 1.3, the suite and group, and http/1.1 chosen by ALPN although
 * Chromium offers h2 first. A run without the pin shows the page is not reached without that trust.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { needs } from "../_support/peers.ts";
import { startFixture } from "../_support/processes.ts";
import { chromium, spkiHash } from "../_support/chromium.ts";
import { runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();
const outputDir = new URL("../output/", import.meta.url).pathname;

/** The text of the table cell with this id in Chromium's serialized DOM. */
function cell(dom: string, id: string): string | undefined {
  return dom.match(new RegExp(`<td id="${id}">([^<]*)</td>`))?.[1];
}

for (const runtime of runtimes) {
  Deno.test({
    name: `Chromium loads the example page from our server on ${runtime}`,
    ...needs("chromium", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "hello_server.ts", []);
      const url = `https://localhost:${port}/`;
      const pin = `--ignore-certificate-errors-spki-list=${spkiHash(certs.server["ecdsa-p256"].cert)}`;
      try {
        await t.step("the page text shows TLS 1.3, the suite, the group and http/1.1", async () => {
          const dom = await chromium(url, [pin, "--dump-dom"]);
          assert.equal(cell(dom, "protocol"), "TLSv1.3", dom);
          assert.match(
            cell(dom, "cipher-suite") ?? "",
            /^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$/,
          );
          assert.match(cell(dom, "key-exchange-group") ?? "", /^(X25519MLKEM768|x25519|secp256r1|secp384r1)$/);
          // Chromium offers h2 and http/1.1; we only speak http/1.1.
          assert.equal(cell(dom, "alpn"), "http/1.1");
          assert.equal(cell(dom, "sni"), "localhost");
          assert.match(cell(dom, "your-address") ?? "", /^127\.0\.0\.1:\d+$/);
        });

        await t.step("a screenshot is saved under tests/output/", async () => {
          await Deno.mkdir(outputDir, { recursive: true });
          const file = `${outputDir}${runtime === "deno" ? "hello" : `hello-${runtime}`}.png`;
          await Deno.remove(file).catch(() => {});
          const out = await chromium(url, [pin, `--screenshot=${file}`, "--window-size=1024,700", "--hide-scrollbars"]);
          const png = await Deno.readFile(file).catch(() => null);
          assert.ok(png, `no screenshot written:\n${out}`);
          assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
          const view = new DataView(png.buffer, png.byteOffset);
          assert.deepEqual([view.getUint32(16), view.getUint32(20)], [1024, 700], "IHDR width and height");
          assert.ok(png.length > 5_000, `a blank page would be tiny; got ${png.length} bytes`);
        });

        if (runtime === "deno") {
          await t.step("without the pinned key, Chromium does not show the page", async () => {
            const out = await chromium(url, ["--dump-dom"]);
            assert.equal(cell(out, "protocol"), undefined, out);
            // net_error -202: the chain does not lead to a root Chromium trusts.
            assert.match(out, /ERR_CERT_AUTHORITY_INVALID/);
          });
        }
      } finally {
        await child.stop();
      }
    },
  });
}
