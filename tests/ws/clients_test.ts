/**
 * Real WebSocket clients against our server (tests/fixtures/ws_server.ts) running on Deno, Bun and Node: the
 * `WebSocket` of Deno, Bun and Node 20 (`--experimental-websocket`), each trusting the development CA the way its
 * users would (tests/fixtures/ws_client.ts), and Python's `websockets` (tests/fixtures/ws_client.py). They echo
 * 1 MiB of binary and over 1 MiB of multi-byte text, see the subprotocol selected, read what TLS negotiated from
 * `c.env.tls`, and close in both directions with the codes given. Python also sends fragmented messages and a ping,
 * is closed with 1009 past `maxMessageSize`, and opens the route behind `clientCertificate()` with a certificate
 * given through post-handshake authentication (and is refused with 403 without one).
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { needs, needsPython, pythonWith } from "../_support/peers.ts";
import { Child, run, startFixture } from "../_support/processes.ts";
import { command, type Runtime, runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();
const maxMessageSize = 2 * 1024 * 1024;
const clientScript = new URL("../fixtures/ws_client.ts", import.meta.url).pathname;
const pythonScript = new URL("../fixtures/ws_client.py", import.meta.url).pathname;
const binary = (runtime: Runtime) => runtime === "node" ? "tsx" : runtime;

/** How each runtime's users trust a development CA, and Node 20's flag for its WebSocket. */
const clientEnv: Record<Runtime, Record<string, string>> = {
  deno: { DENO_CERT: certs.ca.cert },
  bun: { NODE_EXTRA_CA_CERTS: certs.ca.cert },
  node: { NODE_EXTRA_CA_CERTS: certs.ca.cert, NODE_OPTIONS: "--experimental-websocket" },
};

async function runClient(client: Runtime, port: number): Promise<Record<string, any>> {
  const child = new Child(command(client, clientScript, [String(port)]), clientEnv[client]);
  try {
    const m = await child.waitFor(/^RESULT (.*)$/, 60_000);
    return JSON.parse(m[1]);
  } finally {
    await child.stop();
  }
}

for (const runtime of runtimes) {
  Deno.test({
    name: `WebSocket clients of Deno, Bun, Node and Python against our server on ${runtime}`,
    ...needs(...new Set(runtimes.map(binary))),
    ...needsPython("websockets"),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "ws_server.ts", [JSON.stringify({ maxMessageSize })]);
      try {
        for (const client of runtimes) {
          await t.step(
            `${client}'s WebSocket: 1 MiB echoes, subprotocols, env.tls, close codes both ways`,
            async () => {
              const result = await runClient(client, port);
              assert.deepEqual(result.echo, {
                protocol: "first.choice",
                text: true,
                binary: true,
                code: 4000,
                wasClean: true,
              });
              assert.deepEqual(result.chat, { protocol: "chat.v2", got: ["hi"] });
              assert.equal(result.info.version, "TLSv1.3");
              assert.equal(result.info.alpn, "http/1.1");
              assert.deepEqual(result.closed, { code: 4002, reason: "server says bye", wasClean: true });
            },
          );
        }

        await t.step("Python websockets: echoes, fragments, ping, 1009, a client certificate per path", async () => {
          const from = child.lines.length;
          const r = await run(
            [
              pythonWith("websockets")!,
              pythonScript,
              String(port),
              certs.ca.cert,
              certs.client.cert,
              certs.client.key,
              String(maxMessageSize + 1),
            ],
            [],
            90_000,
          );
          assert.equal(r.code, 0, r.output);
          const result = JSON.parse(r.output.match(/^RESULT (.*)$/m)![1]);
          assert.deepEqual(result, {
            text: true,
            binary: true,
            fragmented: "fragmented ✓",
            fragmented_binary: [1, 2, 3],
            pong: true,
            close: 4001,
            too_big: 1009,
            secure: { ...result.secure, subject: "CN=tls13-hono dev client, O=tls13-hono development" },
            anonymous: 403,
          });
          assert.equal(result.secure.version, "TLSv1.3");
          const seen = child.lines.slice(from).join("\n");
          assert.match(seen, /^EVENT \/echo close 4001 true/m);
          assert.match(seen, /^EVENT \/echo error message_too_big\nEVENT \/echo close 1009 false/m);
        });
      } finally {
        await child.stop();
      }
      assert.doesNotMatch(child.lines.join("\n"), /^ERROR /m);
    },
  });
}
