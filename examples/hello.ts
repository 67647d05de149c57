/**
 * The example app: a Hono app served over HTTPS by our own TLS 1.3 stack, showing what it is for.
 *
 *   npx -y deno task start          (or: bun examples/hello.ts, npx tsx examples/hello.ts)
 *
 * - 0-RTT: a resumed client may send GET, HEAD and OPTIONS requests in its first flight (RFC 8446 §2.3); an
 *   in-memory store refuses replays, and `serve()` answers 425 Too Early to any other method sent that way.
 * - /secure/*: a client certificate from the development CA, asked for when such a request arrives
 *   (post-handshake authentication, RFC 8446 §4.6.2); the rest of the site asks for none.
 * - Every page says what the connection did: resumed, early data, key exchange group, client certificate.
 *
 * Generates a development CA and certificates into certs/out/ on first run; PORT overrides 8443.
 * Trust certs/out/ca.pem (e.g. `curl --cacert certs/out/ca.pem https://localhost:8443/`).
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { ensureDevCerts } from "../certs/generate.ts";
import { clientCertificate, getConnInfo, MemoryReplayStore, serve, type TlsBindings } from "../mod.ts";

const app = new Hono<{ Bindings: TlsBindings }>();

app.use("/secure/*", clientCertificate());

app.get("/", (c) => {
  const tls = c.env.tls;
  const remote = getConnInfo(c).remote;
  const rows: [string, string][] = [
    ["Protocol", tls.version],
    ["Cipher suite", tls.cipherSuite],
    ["Key exchange group", tls.group ?? "none (PSK only)"],
    ["ALPN", tls.alpn ?? "none"],
    ["SNI", tls.serverName ?? "none"],
    ["Resumed", tls.resumed ? "yes" : "no"],
    ["Early data (0-RTT)", tls.earlyData ? "yes" : "no"],
    ["Client certificate", tls.clientCertificate?.subject ?? "none"],
    ["Your address", `${remote.address}:${remote.port}`],
  ];
  return c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello over our TLS 1.3</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td{padding:.3rem 1rem;border-bottom:1px solid #ddd}</style>
</head><body>
<h1>Hello over TLS 1.3</h1>
<p>This page was served by a TLS stack written in TypeScript, under Hono. Reload it: the connection is resumed from a
session ticket. <a href="/secure/">/secure/</a> asks your client for a certificate issued by the development CA.</p>
<table>${
    rows.map(([k, v]) =>
      `<tr><td>${k}</td><td id="${k.toLowerCase().replace(/[^a-z]+/g, "-")}">${escapeHtml(v)}</td></tr>`
    ).join("")
  }</table>
</body></html>`);
});

app.get(
  "/json",
  (c) =>
    c.json({ hello: "world", tls: { ...c.env.tls, clientCertificate: c.env.tls.clientCertificate?.subject ?? null } }),
);

/** Behind `clientCertificate()`: only runs once the client has presented a certificate that verifies. */
app.get("/secure/*", (c) => {
  const cert = c.env.tls.clientCertificate!;
  return c.json({
    path: c.req.path,
    clientCertificate: { subject: cert.subject, issuer: cert.issuer, notAfter: cert.notAfter.toISOString() },
    tls: { resumed: c.env.tls.resumed, earlyData: c.env.tls.earlyData, group: c.env.tls.group },
  });
});

/** A body streamed slowly, one line every 200 ms: shows that responses stream (and with backpressure). */
app.get("/stream", (c) => {
  const count = Math.min(Number(c.req.query("n") ?? 10), 1000);
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i === count) return controller.close();
      await new Promise((r) => setTimeout(r, 200));
      controller.enqueue(new TextEncoder().encode(`line ${++i} of ${count}\n`));
    },
  });
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
});

/** Reports the size and SHA-256 of the uploaded body, read as a stream. */
app.post("/upload", async (c) => {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of c.req.raw.body ?? new ReadableStream<Uint8Array>()) {
    size += chunk.length;
    hash.update(chunk);
  }
  return c.json({ size, sha256: hash.digest("hex") });
});

/** `size` bytes of a repeating pattern, for download tests (at most 1 GiB). */
app.get("/bytes/:size", (c) => {
  const size = Math.min(Number(c.req.param("size")), 1 << 30);
  const block = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(block.length, size - sent);
      controller.enqueue(block.slice(0, n));
      sent += n;
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/octet-stream", "content-length": String(size) },
  });
});

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export { app };

if (import.meta.main ?? process.argv[1]?.endsWith("hello.ts")) {
  const certs = await ensureDevCerts(undefined, { log: (l) => console.log(l) });
  serve({
    fetch: app.fetch,
    port: Number(process.env.PORT ?? 8443),
    tls: {
      cert: { path: certs.server["ecdsa-p256"].cert },
      key: { path: certs.server["ecdsa-p256"].key },
      keyLog: process.env.SSLKEYLOGFILE,
      // Tickets allow early data; ClientHellos seen in the freshness window are remembered to refuse replays.
      earlyData: { maxSize: 16384, replayStore: new MemoryReplayStore() },
      // The CA whose client certificates /secure/* accepts.
      clientAuth: { ca: { path: certs.ca.cert } },
    },
    hsts: true,
    onListen: (addr) => {
      console.log(`Serving examples/hello.ts on https://localhost:${addr.port}/ (trust ${certs.ca.cert})`);
      console.log(`0-RTT on for GET, HEAD, OPTIONS; /secure/* wants a client certificate (${certs.client.cert})`);
    },
  });
}
