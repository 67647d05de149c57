/**
 * The app every benchmarked server serves, the same object handed to our serve() and to each runtime's own TLS
 * server. One route per kind of body an app returns, because each takes a different path through a server:
 * - `GET /`: `c.text("hello")` (the anchors' tiny response);
 * - `GET /json`: `c.json()` of a small object;
 * - `GET /bytes/:size`: `new Response(bytes)`, a body given whole as a Uint8Array (made once per size);
 * - `GET /stream/:size`: a `ReadableStream` of 64 KiB chunks with a Content-Length (the bulk download row);
 * - `POST /upload`: reads the body as a stream, answers its size and SHA-256 (the bulk upload row).
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";

export const app = new Hono();

app.get("/", (c) => c.text("hello"));

app.get("/json", (c) => c.json({ hello: "world", items: [1, 2, 3], nested: { ok: true } }));

/** Bodies are made once per size (at most 64 MiB), so the row measures the server, not the app. */
const bodies = new Map<number, Uint8Array<ArrayBuffer>>();
app.get("/bytes/:size", (c) => {
  const size = Math.min(Number(c.req.param("size")) || 0, 64 << 20);
  let body = bodies.get(size);
  if (!body) bodies.set(size, body = new Uint8Array(new ArrayBuffer(size)).map((_, i) => i & 0xff));
  return new Response(body, { headers: { "content-type": "application/octet-stream" } });
});

const block = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
app.get("/stream/:size", (c) => {
  const size = Math.min(Number(c.req.param("size")) || 0, 1 << 30);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(block.length, size - sent);
      // A fresh chunk each time: a server may keep a reference to what it was given until it is written.
      controller.enqueue(block.slice(0, n));
      sent += n;
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/octet-stream", "content-length": String(size) },
  });
});

app.post("/upload", async (c) => {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of c.req.raw.body ?? new ReadableStream<Uint8Array>()) {
    size += chunk.length;
    hash.update(chunk);
  }
  return c.json({ size, sha256: hash.digest("hex") });
});
