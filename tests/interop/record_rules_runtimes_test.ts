/**
 * The record layer's rules over a raw socket against the real server (serve(), tests/fixtures/hello_server.ts)
 * on Deno, Bun and Node: each case sends exact bytes and checks the alert the server answers (read through our
 * client engine when it is protected) and that the server then closes the connection at once. The fixture's
 * HTTP timeouts are set to a minute and the handshake timeout is 10 s, so a close within the 5 s each case
 * waits can only be the refusal; tests/tls/record_rules_test.ts checks the same rules in memory, by name.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { ClientSession } from "../../src/tls/client/session.ts";
import type { TlsEvent } from "../../src/tls/events.ts";
import { CipherSuite, ContentType } from "../../src/tls/wire/constants.ts";
import { concat, devClient, encodeRecords, RecordRewriter, records } from "../_support/memory_pair.ts";
import { type Child, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";
import { rawExchange, runAgainst as runScript, type SocketRun, type SocketScript } from "../_support/socket_client.ts";

const enc = new TextEncoder();
const ALERT = ContentType.alert, HANDSHAKE = ContentType.handshake, APP = ContentType.application_data;
const FIXTURE_OPTIONS = JSON.stringify({ http: { idleTimeout: 60_000, headersTimeout: 60_000 } });

const record = (type: number, body: Uint8Array) => encodeRecords([{ type, version: 0x0303, fragment: body }]);
const plaintextAlert = (code: number) => Uint8Array.of(21, 3, 3, 0, 2, 2, code);
const sealer = (secrets: Map<string, Uint8Array>, label: string) =>
  new RecordRewriter(nobleProvider, "SHA-256", "AES-128-GCM", secrets.get(label)!);
const request = enc.encode("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

/** The server answered with exactly this plaintext alert, nothing before it, and closed. */
function plaintextRefusal(run: SocketRun, code: number) {
  assert.deepEqual(run.received, plaintextAlert(code));
  assert.ok(run.closed, "the server closed the connection");
}

/** The server sent the (protected) alert `name`, which our client engine read, and closed. */
function protectedRefusal(run: SocketRun, name: string) {
  const failed = run.events.find((e): e is Extract<TlsEvent, { type: "failed" }> => e.type === "failed");
  assert.ok(failed, `expected ${name}, got ${JSON.stringify(run.events.map((e) => e.type))}`);
  assert.equal(failed.alert.source, "remote");
  assert.equal(failed.alert.alertName, name);
  assert.ok(run.closed, "the server closed the connection");
}

/** The client's second flight (change_cipher_spec, then its protected Finished) with the Finished replaced. */
function replaceFinished(make: (hs: RecordRewriter) => Uint8Array) {
  return (bytes: Uint8Array, n: number, secrets: Map<string, Uint8Array>) =>
    n !== 1
      ? bytes
      : concat([encodeRecords(records(bytes).slice(0, 1)), make(sealer(secrets, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"))]);
}

/** A ticket the server cannot open that still lets our client offer 0-RTT, as a stale ticket would. */
const staleSession = (): ClientSession => ({
  ticket: new Uint8Array(40).fill(3),
  psk: new Uint8Array(32).fill(4),
  cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
  lifetime: 7200,
  ageAdd: 0,
  nonce: new Uint8Array(0),
  receivedAt: Date.now(),
  maxEarlyData: 16384,
  alpn: null,
  serverName: "localhost",
  peerCertificates: [],
  certificateStatus: { verified: false, disabled: true },
  certificateValidUntil: Infinity,
});

/** Our records are sealed with AES-128-GCM (RecordRewriter below): the server may prefer another suite. */
const runAgainst = (port: number, script: SocketScript) =>
  runScript(port, { ...script, client: { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256], ...script.client } });

const clientHello = async () => records((await devClient()).takeOutput())[0].fragment;

type Case = [string, (port: number) => Promise<void>];

const cases: Case[] = [
  ["empty application_data before the first ClientHello", async (port) => {
    plaintextRefusal(await rawExchange(port, record(APP, new Uint8Array(0))), 10);
  }],
  ["empty application_data between two fragments of the ClientHello", async (port) => {
    const hello = await clientHello();
    const bytes = concat([
      record(HANDSHAKE, hello.subarray(0, 100)),
      record(APP, new Uint8Array(0)),
      record(HANDSHAKE, hello.subarray(100)),
    ]);
    plaintextRefusal(await rawExchange(port, bytes), 10);
  }],
  ["one stray byte after the ClientHello in its record: the alert and nothing before it", async (port) => {
    plaintextRefusal(await rawExchange(port, record(HANDSHAKE, concat([await clientHello(), Uint8Array.of(1)]))), 10);
  }],
  ["an empty alert record", async (port) => {
    plaintextRefusal(await rawExchange(port, record(ALERT, new Uint8Array(0))), 10);
  }],
  ["a second change_cipher_spec before the client Finished", async (port) => {
    const ccs = record(20, Uint8Array.of(1));
    protectedRefusal(await runAgainst(port, { tap: (b, n) => n === 1 ? concat([ccs, b]) : b }), "unexpected_message");
  }],
  ["garbage application_data after the second ClientHello of a HelloRetryRequest", async (port) => {
    const garbage = record(APP, new Uint8Array(40).fill(9));
    const run = await runAgainst(port, {
      client: { groups: ["x25519"], keyShareGroups: [] },
      options: { session: staleSession(), earlyData: request },
      tap: (b, n) => n === 1 ? concat([b, garbage]) : b,
    });
    protectedRefusal(run, "bad_record_mac");
  }],
  ["an empty alert under the handshake key", async (port) => {
    protectedRefusal(
      await runAgainst(port, { tap: replaceFinished((s) => s.seal(ALERT, new Uint8Array(0))) }),
      "unexpected_message",
    );
  }],
  ["a Finished announcing 128 KiB", async (port) => {
    protectedRefusal(
      await runAgainst(port, { tap: replaceFinished((s) => s.seal(HANDSHAKE, Uint8Array.of(20, 2, 0, 0))) }),
      "decode_error",
    );
  }],
  ["application data between the fragments of a KeyUpdate", async (port) => {
    const run = await runAgainst(port, {
      afterHandshake: (secrets) => {
        const app = sealer(secrets, "CLIENT_TRAFFIC_SECRET_0");
        return concat([app.seal(HANDSHAKE, Uint8Array.of(24, 0, 0)), app.seal(APP, request)]);
      },
    });
    protectedRefusal(run, "unexpected_message");
  }],
  ["18 00 00 05 00 then application data (a KeyUpdate cannot be 5 bytes long)", async (port) => {
    const run = await runAgainst(port, {
      afterHandshake: (secrets) => {
        const app = sealer(secrets, "CLIENT_TRAFFIC_SECRET_0");
        return concat([app.seal(HANDSHAKE, Uint8Array.of(24, 0, 0, 5, 0)), app.seal(APP, request)]);
      },
    });
    protectedRefusal(run, "decode_error");
  }],
  ["an empty alert under the application key, padded", async (port) => {
    const run = await runAgainst(port, {
      afterHandshake: (secrets) => sealer(secrets, "CLIENT_TRAFFIC_SECRET_0").seal(0, Uint8Array.of(ALERT, 0, 0)),
    });
    protectedRefusal(run, "unexpected_message");
  }],
  ["33 empty application_data records in a row (32, a request and 32 more are served)", async (port) => {
    const empties = (s: RecordRewriter, n: number) =>
      concat(Array.from({ length: n }, () => s.seal(APP, new Uint8Array(0))));
    const refused = await runAgainst(port, {
      afterHandshake: (secrets) => empties(sealer(secrets, "CLIENT_TRAFFIC_SECRET_0"), 33),
    });
    protectedRefusal(refused, "unexpected_message");
    const served = await runAgainst(port, {
      afterHandshake: (secrets) => {
        const app = sealer(secrets, "CLIENT_TRAFFIC_SECRET_0");
        return concat([empties(app, 32), app.seal(APP, request), empties(app, 32)]);
      },
    });
    assert.match(
      new TextDecoder().decode(concat(served.events.flatMap((e) => e.type === "data" ? [e.data] : []))),
      /^HTTP\/1\.1 200/,
    );
    assert.ok(!served.events.some((e) => e.type === "failed"));
  }],
  ["data after our close_notify is ignored, and the server closes with its own", async (port) => {
    const run = await runAgainst(port, {
      afterHandshake: (secrets, client) => {
        const app = sealer(secrets, "CLIENT_TRAFFIC_SECRET_0");
        client.close();
        app.seal(ALERT, Uint8Array.of(1, 0)); // the close_notify the engine sealed: keep in step
        return concat([client.takeOutput(), app.seal(APP, request), Uint8Array.of(0xde, 0xad, 0xbe, 0xef)]);
      },
    });
    assert.deepEqual(run.events.filter((e) => e.type !== "session_ticket").map((e) => e.type), [
      "handshake_complete",
      "peer_closed",
    ]);
    assert.ok(run.closed);
  }],
  ["a 65.5 KB ClientHello listing 32,715 signature schemes completes", async (port) => {
    const many = Array.from({ length: 32_715 - 1 }, (_, i) => 0x2000 + i);
    const run = await runAgainst(port, {
      client: { signatureSchemes: [0x0403, ...many], keyShareGroups: ["x25519"], recordSizeLimit: null },
      until: (events) => events.some((e) => e.type === "handshake_complete" || e.type === "failed"),
    });
    assert.ok(run.events.some((e) => e.type === "handshake_complete"), JSON.stringify(run.events.map((e) => e.type)));
  }],
];

for (const runtime of runtimes) {
  Deno.test(`record-layer rules against the server on ${runtime}`, async (t) => {
    let child: Child | null = null;
    try {
      const started = await startFixture(runtime, "hello_server.ts", [FIXTURE_OPTIONS]);
      child = started.child;
      for (const [name, run] of cases) await t.step(name, () => run(started.port));
    } finally {
      await child?.stop();
    }
  });
}
