/**
 * The listener: a peer that stalls mid-handshake is dropped after the handshake timeout while other clients
 * are served; the key log matches what openssl itself logs for the same connection (Wireshark format).
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { listenTls } from "../../src/io/tls_listener.ts";
import { needs } from "../_support/peers.ts";
import { run } from "../_support/processes.ts";

const certs = await ensureDevCerts();
const tls = { cert: { path: certs.server["ecdsa-p256"].cert }, key: { path: certs.server["ecdsa-p256"].key } };

async function echoOnce(listener: Awaited<ReturnType<typeof listenTls>>) {
  for await (const socket of listener) {
    (async () => {
      for (;;) {
        const chunk = await socket.read().catch(() => null);
        if (chunk === null) break;
        await socket.write(chunk);
      }
      socket.close();
    })();
  }
}

Deno.test({
  name: "a client that stalls mid-handshake is dropped after the timeout; others are served meanwhile",
  ...needs("openssl"),
  async fn() {
    const errors: string[] = [];
    const listener = await listenTls({
      ...tls,
      port: 0,
      hostname: "127.0.0.1",
      handshakeTimeout: 500,
      onHandshakeError: (e) => errors.push(e.message),
    });
    const serving = echoOnce(listener);
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    await stalled.write(Uint8Array.of(22, 3, 1, 0, 200, 1, 0)); // the start of a ClientHello, then nothing
    const garbage = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    await garbage.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));

    const r = await run([
      "openssl",
      "s_client",
      "-connect",
      `127.0.0.1:${listener.addr.port}`,
      "-CAfile",
      certs.ca.cert,
    ], ["alive\n", { until: /^alive$/m }]);
    assert.match(r.output, /^alive$/m, "a good client is served while another stalls");

    const buf = new Uint8Array(100);
    const started = Date.now();
    const n = await stalled.read(buf); // the server hangs up on us
    assert.ok(n === null || buf[0] === 21, "closed, or an alert then closed");
    assert.ok(Date.now() - started < 5000);
    const g = await garbage.read(buf);
    assert.ok(g !== null && buf[0] === 21, "garbage gets an alert record");
    stalled.close();
    garbage.close();
    assert.ok(errors.some((e) => /timed out/.test(e)), errors.join("; "));
    await listener.close();
    await serving;
  },
});

Deno.test({
  name: "the key log has the same lines openssl logs for the same connection (SSLKEYLOGFILE format)",
  ...needs("openssl"),
  async fn() {
    const ours = await Deno.makeTempFile({ suffix: ".keylog" });
    const theirs = await Deno.makeTempFile({ suffix: ".keylog" });
    const listener = await listenTls({ ...tls, port: 0, hostname: "127.0.0.1", keyLog: ours });
    const serving = echoOnce(listener);
    await run(["openssl", "s_client", "-connect", `127.0.0.1:${listener.addr.port}`, "-keylogfile", theirs], [
      "x\n",
      { until: /^x$/m },
    ]);
    await listener.close();
    await serving;
    const lines = (s: string) => s.split("\n").filter((l) => l && !l.startsWith("#")).sort();
    const a = lines(await Deno.readTextFile(ours));
    const b = lines(await Deno.readTextFile(theirs));
    assert.equal(a.length, 5);
    assert.deepEqual(a, b);
    assert.equal((await Deno.stat(ours)).mode! & 0o777, 0o600);
  },
});
