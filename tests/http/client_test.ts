/**
 * Claims about the HTTP/1.1 client (src/http/client.ts): against our server loop over the in-memory
 * Duplex and over real TCP, and against scripted servers for the wire details (Host first, framing,
 * interim responses, close-delimited bodies, malformed responses).
 */
import assert from "node:assert/strict";
import { HttpClientConnection, request } from "../../src/http/client.ts";
import { HttpError } from "../../src/http/errors.ts";
import { type HttpHandler, serveHttpConnection } from "../../src/http/server_loop.ts";
import { connect, listen } from "../../src/transport/mod.ts";
import { memoryDuplexPair, readUntil, writeText } from "../_support/memory_duplex.ts";

const enc = new TextEncoder();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function withServer(handler: HttpHandler, capacity?: number) {
  const [client, server] = memoryDuplexPair({ capacity });
  const done = serveHttpConnection(server, handler, { lingerTimeout: 50, onError: () => {} });
  return { client, done };
}

/** A handler that reports what it received. */
const describe: HttpHandler = async (req) => {
  const body = req.body ? await req.text() : "";
  const type = req.headers.get("content-type") ?? "-";
  const framing = req.headers.get("transfer-encoding") ?? `length ${req.headers.get("content-length")}`;
  return new Response(`${req.method} ${new URL(req.url).pathname} ${type} ${framing} [${body}]`);
};

Deno.test("sequential requests reuse one connection: GET, POST with a known length, POST streamed", async () => {
  const { client, done } = withServer(describe);
  const get = await request(client, new Request("https://app.test/a"));
  assert.equal(get.status, 200);
  assert.equal(await get.text(), "GET /a - length null []");

  const post = await request(client, new Request("https://app.test/b", { method: "POST", body: "hello" }));
  assert.equal(await post.text(), "POST /b text/plain;charset=UTF-8 length 5 [hello]");

  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const part of ["one ", "two ", "three"]) {
        await delay(5);
        controller.enqueue(enc.encode(part));
      }
      controller.close();
    },
  });
  const init = { method: "PUT", body: stream, duplex: "half" } as RequestInit;
  const put = await request(client, new Request("https://app.test/c", init));
  assert.equal(await put.text(), "PUT /c - chunked [one two three]");

  const empty = await request(client, new Request("https://app.test/d", { method: "POST" }));
  assert.equal(await empty.text(), "POST /d - length 0 []");
  client.close();
  assert.equal((await done).requestsServed, 4);
});

Deno.test("a response body streams: the first chunk is readable before the last is produced", async () => {
  let produced = 0;
  const { client, done } = withServer(() =>
    new Response(
      new ReadableStream({
        async pull(controller) {
          await delay(20);
          if (++produced > 3) controller.close();
          else controller.enqueue(enc.encode(`chunk${produced}`));
        },
      }),
    )
  );
  const response = await request(client, new Request("https://app.test/stream"));
  assert.equal(response.headers.get("transfer-encoding"), "chunked");
  const reader = response.body!.getReader();
  const first = await reader.read();
  assert.equal(new TextDecoder().decode(first.value), "chunk1");
  assert.ok(produced < 3, `all ${produced} chunks were produced before the first was read`);
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  assert.equal(rest, "chunk2chunk3");
  client.close();
  await done;
});

Deno.test("HEAD and 204 responses have no body; the connection carries on after them", async () => {
  const { client, done } = withServer((req) =>
    new URL(req.url).pathname === "/none"
      ? new Response(null, { status: 204 })
      : new Response("twelve bytes", { headers: { "content-length": "12" } })
  );
  const head = await request(client, new Request("https://app.test/x", { method: "HEAD" }));
  assert.equal(head.headers.get("content-length"), "12");
  assert.equal(head.body, null);
  const none = await request(client, new Request("https://app.test/none"));
  assert.equal(none.status, 204);
  assert.equal(none.body, null);
  assert.equal(await (await request(client, new Request("https://app.test/x"))).text(), "twelve bytes");
  client.close();
  assert.equal((await done).requestsServed, 3);
});

Deno.test("starting a new request discards the unread rest of the previous body", async () => {
  const { client, done } = withServer((req) => new Response(new URL(req.url).pathname.repeat(1000)));
  const first = await request(client, new Request("https://app.test/first"));
  assert.equal(first.status, 200);
  const second = await request(client, new Request("https://app.test/2nd"));
  assert.equal(await second.text(), "/2nd".repeat(1000));
  await assert.rejects(first.text());
  client.close();
  assert.equal((await done).requestsServed, 2);
});

Deno.test("a server that closes makes the connection unusable, and the next request says so", async () => {
  const { client, done } = withServer(() => new Response("bye", { headers: { connection: "close" } }));
  const connection = new HttpClientConnection(client);
  const response = await connection.request(new Request("https://app.test/"));
  assert.equal(response.headers.get("connection"), "close");
  assert.equal(await response.text(), "bye");
  assert.equal(connection.reusable, false);
  await assert.rejects(connection.request(new Request("https://app.test/again")), /closed/);
  assert.equal((await done).requestsServed, 1);
  client.close();
});

/** A scripted server: reads one request head, checks it, then writes `reply` and maybe closes. */
function scripted(reply: string, close: boolean, check?: (head: string) => void) {
  const [client, server] = memoryDuplexPair();
  const served = (async () => {
    const head = await readUntil(server, "\r\n\r\n");
    check?.(head);
    await writeText(server, reply);
    if (close) await server.closeWrite();
  })();
  return { client, served };
}

Deno.test("request heads: origin-form target, Host first, caller fields, managed framing fields", async () => {
  let seen = "";
  const { client, served } = scripted("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, (h) => seen = h);
  const req = new Request("https://app.test:8443/p/q?x=1#frag", {
    method: "POST",
    body: "abc",
    headers: { "x-custom": "v", "transfer-encoding": "gzip", connection: "upgrade", host: "evil.test" },
  });
  assert.equal(await (await request(client, req)).text(), "ok");
  await served;
  const lines = seen.split("\r\n");
  assert.equal(lines[0], "POST /p/q?x=1 HTTP/1.1");
  assert.equal(lines[1], "host: app.test:8443");
  assert.ok(lines.includes("x-custom: v"));
  assert.ok(lines.includes("content-length: 3"));
  assert.equal(lines.filter((l) => /^(transfer-encoding|connection|host):/i.test(l)).length, 1);
  assert.ok(seen.endsWith("\r\n\r\nabc") || seen.endsWith("\r\n\r\n"));
});

Deno.test("interim 1xx responses are skipped; a close-delimited HTTP/1.0 body reads to EOF", async () => {
  const reply = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this until the end";
  const { client, served } = scripted(reply, true);
  const connection = new HttpClientConnection(client);
  const response = await connection.request(new Request("https://app.test/"));
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "all of this until the end");
  assert.equal(connection.reusable, false);
  await served;
});

Deno.test("malformed or ambiguous responses reject with an HttpError", async () => {
  const cases: [string, string][] = [
    [
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "content_length_with_transfer_encoding",
    ],
    ["HTTP/1.1 200 OK\nContent-Length: 3\n\nabc", "bare_line_feed"],
    ["HTTP/1.1 2000 OK\r\n\r\n", "bad_request_line"],
    ["HTTP/1.1 101 Switching Protocols\r\n\r\n", "bad_request_line"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "truncated_message"],
  ];
  for (const [reply, code] of cases) {
    const { client, served } = scripted(reply, true);
    const attempt = request(client, new Request("https://app.test/")).then((r) => r.text());
    await assert.rejects(
      attempt,
      (e) => e instanceof HttpError && e.code === code || (e as Error).message.includes(code),
    );
    await served;
  }
});

Deno.test("over real TCP: our client and server loop on this runtime's transport", async () => {
  const listener = await listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      await serveHttpConnection(conn, describe, { lingerTimeout: 50 });
      break;
    }
  })();
  const conn = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
  // Larger than the read-ahead: its length is not known in advance, so it goes out chunked.
  const big = "x".repeat(300_000);
  const up = await request(
    conn,
    new Request(`http://127.0.0.1:${listener.addr.port}/up`, { method: "POST", body: big }),
  );
  assert.equal(await up.text(), `POST /up text/plain;charset=UTF-8 chunked [${big}]`);
  const again = await request(conn, new Request(`http://127.0.0.1:${listener.addr.port}/again`));
  assert.equal(await again.text(), "GET /again - length null []");
  await conn.closeWrite();
  await serving;
  conn.close();
  await listener.close();
});
