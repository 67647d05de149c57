/**
 * Claims about how TlsSocket (src/io/tls_socket.ts) writes, over in-memory duplexes that count transport
 * writes: the server's flight carries the session tickets (one write, before the client's Finished); a
 * response from `c.text()` is one write; a response that ends the connection carries its close_notify in
 * the same write; writes issued back to back go out together.
 */
import assert from "node:assert/strict";
import { TlsSocket } from "../../src/io/tls_socket.ts";
import { createServerConfig } from "../../src/io/tls_server_config.ts";
import { createClientConnection } from "../../src/io/tls_connect.ts";
import { ServerConnection } from "../../src/tls/server/server_connection.ts";
import type { ClientConnection } from "../../src/tls/client/client_connection.ts";
import { serveHttpConnection } from "../../src/http/server_loop.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import { memoryDuplexPair, readToEnd, readUntil, writeText } from "../_support/memory_duplex.ts";

const certs = await ensureDevCerts();
const serverConfig = await createServerConfig({
  cert: { path: certs.server["ecdsa-p256"].cert },
  key: { path: certs.server["ecdsa-p256"].key },
  alpn: ["http/1.1"],
});

const clientOptions = { hostname: "localhost", port: 8443, ca: { path: certs.ca.cert } };

async function pair() {
  const [clientEnd, serverEnd] = memoryDuplexPair();
  const client = new TlsSocket<ClientConnection>(clientEnd, await createClientConnection(clientOptions));
  const server = new TlsSocket(serverEnd, new ServerConnection(serverConfig));
  await Promise.all([client.handshake(), server.handshake()]);
  return { client, server, clientEnd, serverEnd };
}

Deno.test("the server's flight and its two tickets leave in one write, before the client's Finished", async () => {
  const sessions: unknown[] = [];
  const [clientEnd, serverEnd] = memoryDuplexPair();
  const clientEngine = await createClientConnection(clientOptions, { onSession: (s) => sessions.push(s) });
  const server = new TlsSocket(serverEnd, new ServerConnection(serverConfig));
  const serverDone = server.handshake();
  // The client engine by hand: its ClientHello out, the server's answer in, its Finished not sent yet.
  await clientEnd.write(clientEngine.takeOutput());
  const flight = await clientEnd.read();
  assert.ok(flight);
  assert.equal(serverEnd.writeCount, 1);
  await clientEngine.receive(flight);
  assert.equal(sessions.length, 2, "both tickets arrived with the flight");
  await clientEnd.write(clientEngine.takeOutput());
  await serverDone;
  assert.equal(serverEnd.writeCount, 1, "nothing more after the client's Finished");
  server.close();
  clientEnd.close();
});

Deno.test("a c.text() response is one write; with Connection: close, close_notify rides along", async () => {
  const { client, server, serverEnd } = await pair();
  const served = serveHttpConnection(server, () => new Response("hello"), { lingerTimeout: 50 });
  const before = serverEnd.writeCount;
  await writeText(client, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  assert.match(await readUntil(client, "hello"), /content-length: 5/);
  assert.equal(serverEnd.writeCount, before + 1);
  await writeText(client, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  // readToEnd ends at the server's close_notify (read() gives null), which came in the same write.
  assert.match(await readToEnd(client), /connection: close\r\n\r\nhello$/);
  assert.equal(serverEnd.writeCount, before + 2);
  client.close();
  assert.equal((await served).requestsServed, 2);
});

Deno.test("writes issued back to back leave in one transport write, in order", async () => {
  const { client, server, serverEnd } = await pair();
  const before = serverEnd.writeCount;
  const enc = new TextEncoder();
  await Promise.all([server.write(enc.encode("a")), server.write(enc.encode("b")), server.write(enc.encode("c"))]);
  assert.equal(serverEnd.writeCount, before + 1);
  assert.equal(await readUntil(client, "abc"), "abc");
  client.close();
  server.close();
});
