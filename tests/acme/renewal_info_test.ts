/**
 * ACME Renewal Information (RFC 9773): when the CA's suggested window for a certificate has come, the node
 * renews it at once instead of waiting for two thirds of its lifetime. Pebble (the Debian version) has no
 * renewalInfo, so the test puts a directory in front of it (our own HTTPS server) that adds one and answers it.
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";
import { Child } from "../_support/processes.ts";
import { command } from "../_support/runtimes.ts";
import { freePort } from "../_support/server_peers.ts";
import { startPebble } from "../_support/pebble.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import { httpFetch } from "../../src/acme/http_fetch.ts";
import { serve } from "../../src/serve.ts";

const example = new URL("../../examples/acme.ts", import.meta.url).pathname;

Deno.test({
  ...needs("pebble", "pebble-challtestsrv"),
  name: "renewal information: a suggested window that has come makes the node renew long before two thirds",
  async fn() {
    const port = freePort();
    const pebble = await startPebble({ tlsPort: port, validity: 3600 });
    const dev = await ensureDevCerts();
    const asked: string[] = [];
    const front = serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert: { path: dev.server["ecdsa-p256"].cert }, key: { path: dev.server["ecdsa-p256"].key } },
      onListen: () => {},
      fetch: async (req) => {
        const url = new URL(req.url);
        if (url.pathname === "/dir") {
          const r = await httpFetch(pebble.directoryUrl, { ca: { path: pebble.listenerCa } });
          const directory = JSON.parse(new TextDecoder().decode(r.body));
          return Response.json({ ...directory, renewalInfo: `${url.origin}/renewal-info` });
        }
        const id = url.pathname.match(/^\/renewal-info\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/)?.[1];
        if (!id) return new Response("not found", { status: 404 });
        asked.push(id);
        // The first certificate is due now; any later one in a month.
        const now = Date.now();
        const window = id === asked[0]
          ? { start: new Date(now - 120_000), end: new Date(now - 60_000) }
          : { start: new Date(now + 30 * 86400_000), end: new Date(now + 31 * 86400_000) };
        return Response.json({ suggestedWindow: window });
      },
    });
    await front.ready;
    const dir = await Deno.makeTempDir({ prefix: "acme-ari-" });
    const trust = `${dir}/trust.pem`;
    await Deno.writeTextFile(
      trust,
      (await Deno.readTextFile(pebble.listenerCa)) + await Deno.readTextFile(dev.ca.cert),
    );
    const node = new Child(command("deno", example), {
      ACME_DIRECTORY: `https://127.0.0.1:${front.addr.port}/dir`,
      ACME_CA: trust,
      DOMAINS: "ari.test",
      PORT: String(port),
      ACME_STORAGE: `${dir}/storage`,
    });
    try {
      const first = (await node.waitFor(/^obtained ari\.test serial (\w+)/, 60_000))[1];
      const renewed = (await node.waitFor(/^renewed ari\.test serial (\w+)/, 60_000))[1];
      assert.notEqual(renewed, first);
      // RFC 9773 §4.1: the second part is the serial's DER content octets, base64url.
      const serialPart = asked[0].split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const serialHex = Array.from(atob(serialPart), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
      assert.equal(serialHex.replace(/^00/, ""), first);
      // The renewed certificate is asked about too (and, not being due, stays).
      for (const deadline = Date.now() + 10_000; asked.length < 2 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(asked.length, 2, `renewal info asked for ${asked}`);
    } finally {
      await node.stop();
      await front.shutdown();
      await pebble.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
