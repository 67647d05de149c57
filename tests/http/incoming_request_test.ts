/**
 * Claims about the request a handler gets and the response it gives back (src/http/incoming_request.ts,
 * known_body.ts): routing on method, path and headers and answering with `c.text()` builds no Fetch
 * `Request` and no `ReadableStream`, and the response leaves in one write; the body's direct reads work
 * without a stream; everything that needs the real `Request` still gets one (body stream, clone,
 * formData, `new Request(req, init)` as Hono's body-limit does); the signal aborts when the connection
 * is lost; URLs are exactly what `new URL()` gives.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type HttpHandler, serveHttpConnection } from "../../src/http/server_loop.ts";
import type { ServerOptions } from "../../src/http/limits.ts";
import { requestWasBuilt } from "../../src/http/incoming_request.ts";
import { targetUri } from "../../src/http/request_target.ts";
import type { RequestHead } from "../../src/http/request_parser.ts";
import { memoryDuplexPair, readToEnd, readUntil, writeText } from "../_support/memory_duplex.ts";

function serve(handler: HttpHandler, options: ServerOptions = {}) {
  const [client, server] = memoryDuplexPair();
  const done = serveHttpConnection(server, handler, { lingerTimeout: 50, onError: () => {}, ...options });
  return { client, server, done };
}

/** Counts `new ReadableStream()` calls made through the global while `f` runs. */
async function countStreams<T>(f: () => Promise<T>): Promise<{ result: T; streams: number }> {
  const Native = globalThis.ReadableStream;
  let streams = 0;
  globalThis.ReadableStream = class extends Native<Uint8Array> {
    constructor(...args: ConstructorParameters<typeof ReadableStream<Uint8Array>>) {
      super(...args);
      streams++;
    }
  } as typeof ReadableStream;
  try {
    return { result: await f(), streams };
  } finally {
    globalThis.ReadableStream = Native;
  }
}

for (const responses of ["record", "defer"] as const) {
  Deno.test(`${responses}: c.req.method, path, header() and c.text() build no Request, no stream; one write per response`, async () => {
    const app = new Hono();
    app.get(
      "/hello/:name",
      (c) => c.text(`${c.req.method} ${c.req.path} ${c.req.param("name")} ${c.req.header("x-a")}`),
    );
    app.get("/json", (c) => c.json({ all: c.req.header() }));
    const built: boolean[] = [];
    const { client, server, done } = serve(async (req) => {
      const res = await app.fetch(req);
      built.push(requestWasBuilt(req));
      return res;
    }, { responses });
    const { streams } = await countStreams(async () => {
      await writeText(client, "GET /hello/you HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n");
      const first = await readUntil(client, "you 1");
      assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(first, /content-length: 20\r\n/);
      assert.equal(server.writeCount, 1);
      await writeText(client, "GET /json HTTP/1.1\r\nHost: x\r\nX-A: 2\r\nConnection: close\r\n\r\n");
      const second = await readToEnd(client);
      assert.match(second, /\{"all":\{"connection":"close","host":"x","x-a":"2"\}\}$/);
      assert.equal(server.writeCount, 2);
    });
    assert.deepEqual(built, [false, false]);
    assert.equal(streams, 0);
    assert.equal((await done).requestsServed, 2);
  });
}

Deno.test("the body's direct reads need no stream; a second read rejects and bodyUsed says so", async () => {
  const seen: unknown[] = [];
  const { client, done } = serve(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/text") seen.push(await req.text());
    if (path === "/json") seen.push(await req.json());
    if (path === "/bytes") seen.push([...new Uint8Array(await req.arrayBuffer())]);
    if (path === "/blob") {
      const blob = await req.blob();
      seen.push(blob.type, await blob.text());
    }
    assert.equal(req.bodyUsed, true);
    await assert.rejects(() => req.text(), TypeError);
    assert.equal(requestWasBuilt(req), false);
    return new Response("ok");
  });
  const { streams } = await countStreams(async () => {
    const utf8 = new TextEncoder().encode("héllo");
    await writeText(client, `POST /text HTTP/1.1\r\nHost: x\r\nContent-Length: ${utf8.length}\r\n\r\n`);
    await client.write(utf8);
    await readUntil(client, "ok");
    await writeText(
      client,
      'PUT /json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n',
    );
    await readUntil(client, "ok");
    await writeText(client, "POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    await readUntil(client, "ok");
    await writeText(
      client,
      "POST /blob HTTP/1.1\r\nHost: x\r\nContent-Type: Text/Plain\r\nContent-Length: 2\r\n\r\nhi",
    );
    await readUntil(client, "ok");
  });
  client.close();
  await done;
  assert.deepEqual(seen, ["héllo", { a: 1 }, [97, 98, 99], "text/plain", "hi"]);
  assert.equal(streams, 0);
});

Deno.test("what needs the Fetch Request gets one: body stream, clone, formData, new Request(req), body-limit", async () => {
  const app = new Hono();
  app.post("/stream", async (c) => {
    let text = "";
    for await (const chunk of c.req.raw.body!.pipeThrough(new TextDecoderStream())) text += chunk;
    return c.text(`stream:${text}`);
  });
  app.post("/clone", async (c) => {
    const copy = c.req.raw.clone();
    return c.text(`clone:${await copy.text()}:${await c.req.text()}`);
  });
  app.post("/form", async (c) => {
    const form = await c.req.raw.formData();
    return c.text(`form:${form.get("a")}`);
  });
  app.post("/wrap", async (c) => {
    const wrapped = new Request(c.req.raw, { headers: { "x-wrapped": "1" } });
    assert.ok(wrapped instanceof Request);
    assert.ok(c.req.raw instanceof Request);
    return c.text(`wrap:${wrapped.method}:${wrapped.headers.get("x-wrapped")}:${await wrapped.text()}`);
  });
  app.post("/limited", bodyLimit({ maxSize: 4 }), async (c) => c.text(`limited:${await c.req.text()}`));
  const { client, done } = serve((req) => app.fetch(req));
  const post = async (path: string, body: string, type = "text/plain") => {
    await writeText(
      client,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  };
  await post("/stream", "abc");
  await post("/clone", "def");
  await post("/form", "a=1&b=2", "application/x-www-form-urlencoded");
  await post("/wrap", "ghi");
  await post("/limited", "1234");
  await post("/limited", "12345");
  await writeText(client, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const text = await readToEnd(client);
  for (const expected of ["stream:abc", "clone:def:def", "form:1", "wrap:POST:1:ghi", "limited:1234"]) {
    assert.ok(text.includes(expected), `${expected} in ${text}`);
  }
  assert.match(text, /HTTP\/1\.1 413 /);
  assert.equal((await done).requestsServed, 7);
});

Deno.test("request.signal: one per connection, aborted once the connection is closed", async () => {
  const signals: AbortSignal[] = [];
  const { client, done } = serve((req) => {
    signals.push(req.signal);
    return new Response("x");
  });
  await writeText(client, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  await readUntil(client, "\r\n\r\nx");
  await writeText(client, "GET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  await readToEnd(client);
  await done;
  assert.equal(signals.length, 2);
  assert.equal(signals[0], signals[1]);
  assert.equal(signals[1].aborted, true);
});

Deno.test("request URLs are what new URL() makes of them, with or without the shortcut", () => {
  const hosts = [
    "x",
    "good.test:8443",
    "Upper.Test",
    "a.test:443",
    "a.test:80",
    "a.test:08443",
    "127.0.0.1",
    "127.1",
    "0x7f.0.0.1",
    "1.2.3.4:99999",
    "a.1",
    "xn--nxasmq6b",
    "a..b",
    ".a",
    "trailing.dot.",
    "[::1]:8443",
    "",
  ];
  const targets = [
    "/",
    "/a/b?c=d&e=f",
    "/a/../b",
    "/a/./b",
    "/a/%2e%2E/b",
    "/a/%2e",
    "/.%2e/x",
    "/q?x='1'",
    "/p'q",
    "/a\\b",
    "/a|b^c`d{e}",
    '/a"b',
    "/%zz/%41",
    "/?",
    "//evil.test/x",
    "/a?b/../c",
  ];
  for (const scheme of ["https", "http"] as const) {
    for (const host of hosts) {
      for (const target of targets) {
        const head = { target, targetForm: "origin", host: host || null } as RequestHead;
        const local = { address: "127.0.0.1", port: 8443, family: "IPv4" as const };
        let expected: string;
        try {
          expected = new URL(`${scheme}://${host || "127.0.0.1:8443"}${target}`).href;
        } catch {
          assert.throws(() => targetUri(head, scheme, local), `${host} ${target} must be refused`);
          continue;
        }
        assert.equal(targetUri(head, scheme, local), expected, `${scheme} ${host} ${target}`);
      }
    }
  }
});

Deno.test("record: a bytes body of 64 KiB or more is not copied at construction, yet is a whole Response", async () => {
  const { installResponseInterop, knownBody } = await import("../../src/http/known_body.ts");
  installResponseInterop("record");
  // ASCII, so that the text the test reads back is byte for byte what was sent.
  const big = new Uint8Array(100_000).map((_, i) => 0x20 + (i % 90));
  const res = new Response(big, { status: 201, headers: { "x-a": "1" } });
  assert.ok(res instanceof Response);
  assert.equal(knownBody(res), big, "the server gets the very bytes given, not a copy");
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("x-a"), "1");
  // What needs the runtime's own Response gets it, with the same body.
  const copy = res.clone();
  assert.deepEqual(new Uint8Array(await copy.arrayBuffer()), big);
  const small = new Response(new Uint8Array(10));
  assert.ok(Object.prototype.isPrototypeOf.call(Object.getPrototypeOf(Response.prototype), small));
  // Served: the whole body arrives after its head.
  const { client, done } = serve(() => new Response(big), { responses: "record" });
  await writeText(client, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const text = await readToEnd(client);
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  assert.match(text, /content-length: 100000\r\n/);
  assert.equal(body.length, big.length);
  assert.ok([...body].every((ch, i) => ch.charCodeAt(0) === big[i]));
  assert.equal((await done).requestsServed, 1);
});
