/**
 * Claims about the HTTP/1.1 server loop (src/http/server_loop.ts), over an in-memory Duplex: keep-alive,
 * pipelining order, 100-continue, HEAD/204/304, backpressure both ways, error responses that close,
 * timeouts and graceful shutdown.
 */
import assert from "node:assert/strict";
import { type ConnectionStats, type HttpHandler, serveHttpConnection } from "../../src/http/server_loop.ts";
import type { ServerOptions } from "../../src/http/limits.ts";
import { type ResponseHead, ResponseParser } from "../../src/http/response_parser.ts";
import { type MemoryDuplex, memoryDuplexPair, readToEnd, readUntil, writeText } from "../_support/memory_duplex.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Served {
  client: MemoryDuplex;
  server: MemoryDuplex;
  done: Promise<ConnectionStats>;
  errors: unknown[];
}

function serve(handler: HttpHandler, options: ServerOptions = {}, capacity?: number): Served {
  const [client, server] = memoryDuplexPair({ capacity });
  const errors: unknown[] = [];
  const done = serveHttpConnection(server, handler, {
    lingerTimeout: 50,
    onError: (e) => void errors.push(e),
    ...options,
  });
  return { client, server, done, errors };
}

/** Reads whole responses off a kept-alive connection with our response parser. */
class ResponseReader {
  readonly #conn: MemoryDuplex;
  readonly #parser = new ResponseParser();
  constructor(conn: MemoryDuplex) {
    this.#conn = conn;
  }

  async next(method = "GET"): Promise<{ head: ResponseHead; body: string; interim: number[] }> {
    this.#parser.expect(method);
    const interim: number[] = [];
    let head: ResponseHead | null = null;
    let body = "";
    for (;;) {
      const event = this.#parser.next();
      if (event === null) {
        const chunk = await this.#conn.read();
        if (chunk === null) this.#parser.feedEof();
        else this.#parser.feed(chunk);
        continue;
      }
      if (event.type === "head") {
        if (event.head.status < 200) interim.push(event.head.status);
        else head = event.head;
      } else if (event.type === "data") body += dec.decode(event.data);
      else if (head !== null) return { head, body, interim };
    }
  }
}

const header = (head: ResponseHead, name: string) =>
  head.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v).join(", ") || null;

const hello: HttpHandler = (req) => new Response(`hello ${new URL(req.url).pathname}`);

Deno.test("keep-alive: sequential requests on one connection, counted", async () => {
  const { client, done } = serve(hello);
  const responses = new ResponseReader(client);
  for (const path of ["/a", "/b", "/c"]) {
    await writeText(client, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const { head, body } = await responses.next();
    assert.equal(head.status, 200);
    assert.equal(body, `hello ${path}`);
    assert.equal(header(head, "content-length"), String(body.length));
    assert.equal(header(head, "connection"), null);
    assert.ok(header(head, "date"));
  }
  client.close();
  const stats = await done;
  assert.equal(stats.requestsServed, 3);
  assert.equal(stats.closeReason, "peer_closed");
});

Deno.test("pipelined requests are answered strictly in order, even when the first handler is slow", async () => {
  const started: string[] = [];
  const { client, done } = serve(async (req) => {
    const path = new URL(req.url).pathname;
    started.push(path);
    if (path === "/1") await delay(60);
    return new Response(path);
  });
  await writeText(
    client,
    "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const text = await readToEnd(client);
  assert.deepEqual([...text.matchAll(/\r\n\r\n(\/\d)/g)].map((m) => m[1]), ["/1", "/2", "/3"]);
  assert.deepEqual(started, ["/1", "/2", "/3"]);
  assert.equal((await done).requestsServed, 3);
});

Deno.test("request URL: Host and target concatenated, absolute-form wins, scheme by option", async () => {
  const urls: string[] = [];
  const { client, done } = serve((req) => {
    urls.push(req.url);
    return new Response(null, { status: 204 });
  }, { scheme: "http" });
  await writeText(
    client,
    "GET //evil.test/x?y=1 HTTP/1.1\r\nHost: good.test:8443\r\n\r\n" +
      "GET https://other.test/abs HTTP/1.1\r\nHost: good.test\r\n\r\n" +
      "OPTIONS * HTTP/1.1\r\nHost: good.test\r\n\r\n" +
      "GET /ten HTTP/1.0\r\n\r\n",
  );
  await readToEnd(client);
  assert.deepEqual(urls, [
    "http://good.test:8443//evil.test/x?y=1",
    "https://other.test/abs",
    "http://good.test/*",
    "http://127.0.0.1:8443/ten",
  ]);
  assert.equal((await done).requestsServed, 4);
});

Deno.test("the handler gets headers in order, the connection's addresses, and a streamed body", async () => {
  let seen: { headers: [string, string][]; remote: string; local: number; body: string } | null = null;
  const { client, done } = serve(async (req, info) => {
    seen = {
      headers: [...req.headers],
      remote: info.remoteAddr.address,
      local: info.localAddr.port,
      body: await req.text(),
    };
    return new Response("ok");
  });
  await writeText(
    client,
    "POST /p HTTP/1.1\r\nHost: x\r\nX-Token: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
      "3\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
  );
  assert.match(await readToEnd(client), /\r\n\r\nok$/);
  assert.deepEqual(seen!.headers.find(([n]) => n === "x-token"), ["x-token", "a"]);
  assert.equal(seen!.remote, "127.0.0.1");
  assert.equal(seen!.local, 8443);
  assert.equal(seen!.body, "abcde");
  await done;
});

Deno.test("an echo handler streams the request body back as it arrives", async () => {
  const { client, done } = serve((req) => new Response(req.body));
  await writeText(client, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
  // The first chunk comes back before the request body is complete: nothing waited for the end.
  const partial = await readUntil(client, "first");
  assert.match(partial, /transfer-encoding: chunked/);
  await writeText(client, "6\r\nsecond\r\n0\r\n\r\n");
  await writeText(client, "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const rest = await readToEnd(client);
  assert.match(partial + rest, /5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  assert.match(rest, /content-length: 0\r\nconnection: close\r\n\r\n$/);
  assert.equal((await done).requestsServed, 2);
});

Deno.test("100-continue is sent when the handler starts reading the body, not before", async () => {
  let reading = false;
  const { client, done } = serve(async (req) => {
    await delay(50);
    reading = true;
    return new Response(`got ${await req.text()}`);
  });
  await writeText(client, "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  const interim = await readUntil(client, "\r\n\r\n");
  assert.equal(reading, true, "100 Continue came before the handler read");
  assert.equal(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  await writeText(client, "hello");
  const final = await readUntil(client, "got hello");
  assert.match(final, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(final, /connection: close/);
  client.close();
  assert.equal((await done).requestsServed, 1);
});

Deno.test("100-continue: a handler that never reads gets no 100, and the connection closes", async () => {
  const { client, done } = serve(() => new Response("no thanks", { status: 413 }));
  await writeText(client, "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
  const text = await readToEnd(client);
  assert.match(text, /^HTTP\/1\.1 413 Content Too Large\r\n/);
  assert.match(text, /connection: close/);
  assert.doesNotMatch(text, /100 Continue/);
  assert.equal((await done).closeReason, "not_persistent");
});

Deno.test("expectations other than 100-continue get 417", async () => {
  const { client, done } = serve(hello);
  await writeText(client, "POST /up HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 1\r\n\r\nx");
  const text = await readToEnd(client);
  assert.match(text, /^HTTP\/1\.1 417 Expectation Failed\r\n/);
  assert.equal((await done).closeReason, "protocol_error");
});

Deno.test("HEAD, 204 and 304 responses carry no body, and the next request still parses", async () => {
  const { client, done } = serve((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/204") return new Response(null, { status: 204, headers: { "content-length": "7" } });
    if (path === "/304") return new Response(null, { status: 304, headers: { "content-length": "7" } });
    return new Response("body bytes", { headers: { "content-length": "10" } });
  });
  const responses = new ResponseReader(client);
  await writeText(
    client,
    "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  const head = await responses.next("HEAD");
  assert.equal(header(head.head, "content-length"), "10");
  assert.equal(head.body, "");
  const noContent = await responses.next();
  assert.equal(noContent.head.status, 204);
  assert.equal(header(noContent.head, "content-length"), null);
  const notModified = await responses.next();
  assert.equal(notModified.head.status, 304);
  assert.equal(header(notModified.head, "content-length"), "7");
  assert.equal((await responses.next()).body, "body bytes");
  client.close();
  assert.equal((await done).requestsServed, 4);
});

Deno.test("a streaming response of unknown length goes out chunked, each chunk as produced", async () => {
  const { client, done } = serve(() => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await delay(5);
        if (++n > 3) controller.close();
        else controller.enqueue(enc.encode(`part${n};`));
      },
    });
    return new Response(body, { headers: { "set-cookie": "a=1" } });
  });
  const responses = new ResponseReader(client);
  await writeText(client, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
  const { head, body } = await responses.next();
  assert.equal(header(head, "transfer-encoding"), "chunked");
  assert.equal(header(head, "set-cookie"), "a=1");
  assert.equal(body, "part1;part2;part3;");
  client.close();
  await done;
});

Deno.test("backpressure: a client that does not read stops the response stream from being pulled", async () => {
  let pulls = 0;
  const chunk = new Uint8Array(1024).fill(0x61);
  const total = 256;
  const { client, done } = serve(
    () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulls++;
            if (pulls > total) controller.close();
            else controller.enqueue(chunk.slice());
          },
        }, { highWaterMark: 0 }),
      ),
    {},
    4096,
  );
  await writeText(client, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  await delay(100);
  const stalled = pulls;
  await delay(100);
  assert.equal(pulls, stalled, "the stream kept being pulled while nobody read");
  // Bounded by the 16 KiB read-ahead plus what the 4 KiB pipe holds.
  assert.ok(stalled <= 24, `pulled ${stalled} KiB into a 4 KiB pipe`);
  const { head, body } = await new ResponseReader(client).next();
  assert.equal(header(head, "transfer-encoding"), "chunked");
  assert.equal(body, "a".repeat(total * 1024));
  assert.equal((await done).requestsServed, 1);
});

Deno.test("backpressure: the socket is read no faster than the handler consumes the request body", async () => {
  const size = 512 * 1024;
  let consumed = 0;
  let worstAhead = 0;
  const { client, server, done } = serve(
    async (req) => {
      const reader = req.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        consumed += r.value.length;
        // Bytes the server has taken off the pipe, minus what the handler has seen.
        const taken = client.bytesWritten - client.unread;
        worstAhead = Math.max(worstAhead, taken - headLength - consumed);
        await delay(1);
      }
      return new Response(`read ${consumed}`);
    },
    {},
    16 * 1024,
  );
  const headText = `POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`;
  const headLength = headText.length;
  await writeText(client, headText);
  for (let sent = 0; sent < size; sent += 8192) await client.write(new Uint8Array(8192));
  assert.match(await readToEnd(client), /read 524288$/);
  assert.ok(worstAhead <= 16 * 1024, `server read ${worstAhead} bytes ahead of the handler`);
  void server;
  await done;
});

Deno.test("an unread request body is drained so the next request works; a large one closes", async () => {
  const { client, done } = serve(hello, { maxDrainSize: 1000 });
  const responses = new ResponseReader(client);
  await writeText(client, `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n${"x".repeat(900)}`);
  await writeText(client, `GET /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`);
  assert.equal((await responses.next()).body, "hello /a");
  assert.equal((await responses.next()).body, "hello /b");
  await writeText(client, `POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n`);
  const last = await responses.next();
  assert.equal(last.body, "hello /c");
  assert.equal(header(last.head, "connection"), "close");
  const stats = await done;
  assert.equal(stats.requestsServed, 3);
  assert.equal(stats.closeReason, "not_persistent");
});

Deno.test("protocol errors: the error response says close, then half-close, then close", async () => {
  const cases: [string, RegExp][] = [
    ["GET / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 Bad Request\r\n/],
    ["GET / HTTP/2.0\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", /^HTTP\/1\.1 501 Not Implemented\r\n/],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", /^HTTP\/1\.1 413 Content Too Large\r\n/],
    [`GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 414 URI Too Long\r\n/],
    [`GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(20000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ["CONNECT example.test:443 HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 501 Not Implemented\r\n/],
    ["TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 501 Not Implemented\r\n/],
  ];
  for (const [request, expected] of cases) {
    let called = false;
    const { client, server, done } = serve(() => {
      called = true;
      return new Response("no");
    });
    // The first request is fine; the second is the bad one. The first must be answered normally.
    await writeText(client, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n" + request);
    const text = await readToEnd(client); // ends: the server half-closed
    const second = text.slice(text.indexOf("HTTP/1.1", 10));
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(second, expected, request.slice(0, 60));
    assert.match(second, /\r\nconnection: close\r\n/);
    client.close();
    const stats = await done;
    assert.equal(stats.requestsServed, 1);
    assert.equal(stats.closeReason, "protocol_error");
    assert.equal(server.isClosed, true);
    assert.equal(called, true);
  }
});

Deno.test("a handler that throws gets a 500 and the connection carries on", async () => {
  const { client, done, errors } = serve((req) => {
    if (new URL(req.url).pathname === "/boom") throw new Error("boom");
    return new Response("fine");
  });
  const responses = new ResponseReader(client);
  await writeText(client, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\nGET /fine HTTP/1.1\r\nHost: x\r\n\r\n");
  const failed = await responses.next();
  assert.equal(failed.head.status, 500);
  assert.equal((await responses.next()).body, "fine");
  assert.equal((errors[0] as Error).message, "boom");
  client.close();
  assert.equal((await done).requestsServed, 2);
});

Deno.test("a body that breaks while the handler reads it is answered with its own status", async () => {
  const { client, done } = serve(async (req) => new Response(await req.text()), { maxBodySize: 8 });
  await writeText(
    client,
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n",
  );
  const text = await readToEnd(client);
  assert.match(text, /^HTTP\/1\.1 413 Content Too Large\r\n/);
  assert.equal((await done).closeReason, "protocol_error");
});

Deno.test("HTTP/1.0: keep-alive on request, no chunked (close-delimited instead)", async () => {
  const { client, done } = serve((req) =>
    new URL(req.url).pathname === "/stream"
      ? new Response(
        new ReadableStream({
          async pull(c) {
            await delay(5);
            c.enqueue(enc.encode("streamed"));
            c.close();
          },
        }),
      )
      : new Response("fixed")
  );
  const responses = new ResponseReader(client);
  await writeText(client, "GET /fixed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const first = await responses.next();
  assert.equal(header(first.head, "connection"), "keep-alive");
  assert.equal(first.body, "fixed");
  await writeText(client, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const text = await readToEnd(client);
  assert.doesNotMatch(text, /transfer-encoding/);
  assert.match(text, /connection: close\r\n\r\nstreamed$/);
  assert.equal((await done).requestsServed, 2);
});

Deno.test("timeouts: an incomplete head gets 408, then the connection closes", async () => {
  const { client, done } = serve(hello, { headersTimeout: 80 });
  await writeText(client, "GET / HTTP/1.1\r\nHost: x\r\n");
  const started = Date.now();
  const text = await readToEnd(client);
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.ok(Date.now() - started >= 60);
  assert.equal((await done).closeReason, "request_timeout");
});

Deno.test("timeouts: a slowloris that keeps sending a few bytes still hits the head deadline", async () => {
  const { client, done } = serve(hello, { headersTimeout: 150 });
  let open = true;
  const drip = (async () => {
    await writeText(client, "GET / HTTP/1.1\r\n");
    while (open) {
      await writeText(client, "X-A: b\r\n").catch(() => open = false);
      await delay(20);
    }
  })();
  const text = await readToEnd(client);
  open = false;
  await drip;
  assert.match(text, /^HTTP\/1\.1 408 /);
  assert.equal((await done).closeReason, "request_timeout");
});

Deno.test("timeouts: an idle kept-alive connection closes silently; so does a silent new one", async () => {
  const idle = serve(hello, { idleTimeout: 60 });
  await writeText(idle.client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const text = await readToEnd(idle.client);
  assert.match(text, /hello \/$/);
  assert.doesNotMatch(text, /408/);
  assert.equal((await idle.done).closeReason, "idle_timeout");

  const silent = serve(hello, { headersTimeout: 60 });
  assert.equal(await readToEnd(silent.client), "");
  assert.equal((await silent.done).closeReason, "idle_timeout");
});

Deno.test("timeouts: a kept-alive connection idles for idleTimeout, then its next head has headersTimeout", async () => {
  const { client, done } = serve(hello, { headersTimeout: 100, idleTimeout: 1_000 });
  await writeText(client, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  await readUntil(client, "hello /1");
  await delay(250); // longer than headersTimeout, shorter than idleTimeout: still open
  await writeText(client, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  await readUntil(client, "hello /2");
  await writeText(client, "GET /3 HTTP/1.1\r\n"); // a head started, then stalled
  assert.match(await readToEnd(client), /^HTTP\/1\.1 408 /);
  const stats = await done;
  assert.equal(stats.requestsServed, 2);
  assert.equal(stats.closeReason, "request_timeout");
});

Deno.test("timeouts: a stalled request body gets 408", async () => {
  const { client, done } = serve(async (req) => new Response(await req.text()), { bodyTimeout: 80 });
  await writeText(client, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  const text = await readToEnd(client);
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.equal((await done).closeReason, "request_timeout");
});

Deno.test("graceful shutdown: an idle connection closes at once", async () => {
  const shutdown = new AbortController();
  const { client, done } = serve(hello, { signal: shutdown.signal });
  await writeText(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await readUntil(client, "hello /");
  shutdown.abort();
  assert.equal(await readToEnd(client), "");
  const stats = await done;
  assert.equal(stats.closeReason, "shutdown");
  assert.equal(stats.requestsServed, 1);
});

Deno.test("graceful shutdown: the request in flight finishes with Connection: close, pipelined ones are not started", async () => {
  const shutdown = new AbortController();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const handled: string[] = [];
  const { client, done } = serve(async (req) => {
    handled.push(new URL(req.url).pathname);
    await gate;
    return new Response("finished");
  }, { signal: shutdown.signal });
  await writeText(client, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  await delay(20);
  shutdown.abort();
  release();
  const text = await readToEnd(client);
  assert.match(text, /connection: close\r\n\r\nfinished$/);
  assert.deepEqual(handled, ["/1"]);
  const stats = await done;
  assert.equal(stats.requestsServed, 1);
  assert.equal(stats.closeReason, "shutdown");
});

Deno.test("a client that disconnects mid-response aborts the request signal and ends the loop", async () => {
  let aborted = false;
  const { client, done } = serve(
    (req) => {
      req.signal.addEventListener("abort", () => aborted = true);
      return new Response(
        new ReadableStream({
          async pull(c) {
            await delay(5);
            c.enqueue(new Uint8Array(1024));
          },
        }),
      );
    },
    {},
    1024,
  );
  await writeText(client, "GET /forever HTTP/1.1\r\nHost: x\r\n\r\n");
  await readUntil(client, "\r\n\r\n");
  client.close();
  const stats = await done;
  assert.equal(aborted, true);
  assert.equal(stats.closeReason, "response_failed");
});

Deno.test("a GET with a body: the handler sees none, the body is discarded, the next request parses", async () => {
  let sawBody: unknown = "unset";
  const { client, done } = serve((req) => {
    sawBody = req.body;
    return new Response("ok");
  });
  const responses = new ResponseReader(client);
  await writeText(
    client,
    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  assert.equal((await responses.next()).body, "ok");
  assert.equal((await responses.next()).body, "ok");
  assert.equal(sawBody, null);
  client.close();
  assert.equal((await done).requestsServed, 2);
});

Deno.test("a response whose Content-Length disagrees with its body closes the connection", async () => {
  const { client, done } = serve(() =>
    new Response(
      new ReadableStream({
        async pull(c) {
          await delay(5);
          c.enqueue(enc.encode("only this"));
          c.close();
        },
      }),
      { headers: { "content-length": "100" } },
    )
  );
  await writeText(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const text = await readToEnd(client);
  assert.match(text, /content-length: 100\r\n\r\nonly this$/);
  assert.equal((await done).closeReason, "response_failed");
});
