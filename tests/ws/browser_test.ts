/**
 * Headless Chromium (Debian's `chromium`) runs a page from our WebSocket fixture (tests/fixtures/ws_server.ts) on
 * Deno, Bun and Node, with the development certificate trusted by pinning its public key, as tests/http/browser_test.ts
 * does. The page opens `wss://` sockets to the same server: 1 Mi characters of multi-byte text and 1 MiB of binary
 * echoed intact, a subprotocol chosen from the browser's offer, `c.env.tls` as the server sees the socket (TLS 1.3,
 * http/1.1 although Chromium offers h2), and clean closes. The page's last script is held by the server until the
 * page has posted its results, so `--dump-dom` shows them; the server logs what it saw of each socket too.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { chromium, spkiHash } from "../_support/chromium.ts";
import { needs } from "../_support/peers.ts";
import { startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();

for (const runtime of runtimes) {
  Deno.test({
    name: `Chromium's WebSocket echoes 1 MiB messages through our server on ${runtime}`,
    ...needs("chromium", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { child, port } = await startFixture(runtime, "ws_server.ts", []);
      try {
        const pin = `--ignore-certificate-errors-spki-list=${spkiHash(certs.server["ecdsa-p256"].cert)}`;
        const dom = await chromium(`https://localhost:${port}/`, [pin, "--dump-dom"]);
        const json = dom.match(/<pre id="result">([^<]*)<\/pre>/)?.[1];
        assert.ok(json && json !== "running" && json !== "null", dom);
        const result = JSON.parse(json.replaceAll("&quot;", '"'));
        assert.deepEqual(result.echo, { text: true, binary: true, code: 1000, clean: true });
        assert.deepEqual(result.chat, { protocol: "chat.v2", got: ["hi"] });
        assert.equal(result.info.version, "TLSv1.3");
        assert.equal(result.info.alpn, "http/1.1");
        const seen = child.lines.join("\n");
        assert.match(seen, /^EVENT \/echo close 1000 true/m);
        assert.match(seen, /^EVENT \/chat open chat\.v2$/m);
        assert.doesNotMatch(seen, /^ERROR /m);
      } finally {
        await child.stop();
      }
    },
  });
}
