/**
 * The client reproduces RFC 8448 byte for byte: §3 (simple 1-RTT) and §5 (HelloRetryRequest), with the trace's
 * client random, ephemeral keys and ClientHello shape (its extensions, in its order, with its legacy extras and
 * an empty legacy_session_id, i.e. compatibility mode off) injected through the client's options. Every
 * ClientHello, every secret (through the key log), the client Finished record, application data and
 * close_notify must match.
 *
 * Trust: the trace's certificate (CN=rsa, self-signed, RSA-1024) is the trust anchor and the clock is set inside
 * its validity (2016-07-30 to 2026-07-30). It has no subjectAltName at all, so RFC 9525 would refuse it for
 * any host name; the verifier used here therefore builds the path (anchor, validity, purpose) without a host
 * name check, and says so. The CertificateVerify signature is checked for real.
 */
import assert from "node:assert/strict";
import { ClientConnection } from "../../src/tls/client/client_connection.ts";
import {
  clientConfig,
  type ClientConfigOptions,
  type ServerCertificateVerifier,
} from "../../src/tls/client/client_config.ts";
import { verifyCertificateChain } from "../../src/tls/pki/verify_chain.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { decodeCertificate } from "../../src/tls/wire/certificate.ts";
import { ExtensionType as X, NamedGroup, PskKeyExchangeMode } from "../../src/tls/wire/constants.ts";
import type { NewSessionTicket } from "../../src/tls/wire/new_session_ticket.ts";
import { field, fixedKeyShare, keyLogMap, replayProvider, toHex } from "../_support/rfc8448.ts";

const TRACE_NOW = Date.UTC(2020, 0, 1);

/** The trace ClientHello's signature_algorithms, SHA-1 and DSA included, in its order. */
const traceSchemes = [
  0x0403,
  0x0503,
  0x0603,
  0x0203,
  0x0804,
  0x0805,
  0x0806,
  0x0401,
  0x0501,
  0x0601,
  0x0201,
  0x0402,
  0x0502,
  0x0602,
  0x0202,
];

function traceCertificate(section: number): Uint8Array {
  const msg = field(section, "server", "construct a Certificate handshake", "Certificate");
  return decodeCertificate(msg.subarray(4)).entries[0].certData;
}

/** Path building to the trace certificate as anchor; no host name check (the certificate has no SAN). */
function traceVerifier(section: number, seen: string[]): ServerCertificateVerifier {
  return {
    async verify(chain, { serverName, now }) {
      seen.push(`${serverName} ${now.toISOString()}`);
      const opts = {
        anchors: [traceCertificate(section)],
        purpose: "serverAuth" as const,
        now,
        provider: nobleProvider,
      };
      return await verifyCertificateChain(chain, opts);
    },
  };
}

/** The options that make our ClientHello the trace's. */
function traceOptions(
  provider: CryptoProvider,
  log: string[],
  verifier: ServerCertificateVerifier,
): ClientConfigOptions {
  return {
    provider,
    serverName: "server",
    cipherSuites: [0x1301, 0x1303, 0x1302],
    keyShareGroups: ["x25519"],
    // The traces' clients knew no post-quantum group: the defaults' X25519MLKEM768 would change supported_groups.
    groups: ["x25519", "secp256r1", "secp384r1"],
    signatureSchemes: traceSchemes,
    compatibilityMode: false,
    recordSizeLimit: 0x4001,
    pskModes: [PskKeyExchangeMode.psk_dhe_ke],
    verifier,
    now: () => TRACE_NOW,
    keyLog: (l) => log.push(l),
  };
}

function assertSecret(secrets: Map<string, Uint8Array>, label: string, section: number, what: string) {
  assert.equal(toHex(secrets.get(label) ?? new Uint8Array()), toHex(field(section, "server", what, "expanded")), label);
}

Deno.test("RFC 8448 §3: the client's ClientHello, secrets, Finished, data and close_notify match the trace", async () => {
  const random = field(3, "client", "construct a ClientHello", "ClientHello").subarray(6, 38);
  const share = fixedKeyShare("x25519", field(3, "client", "create an ephemeral x25519", "private key"));
  const log: string[] = [];
  const verified: string[] = [];
  const conn = new ClientConnection(clientConfig({
    ...traceOptions(replayProvider([random], [share]), log, traceVerifier(3, verified)),
    advertisedGroups: [
      NamedGroup.x25519,
      NamedGroup.secp256r1,
      NamedGroup.secp384r1,
      NamedGroup.secp521r1,
      0x0100,
      0x0101,
      0x0102,
      0x0103,
      0x0104,
    ],
    // renegotiation_info (empty renegotiated_connection) and an empty session_ticket, as the trace's client sent.
    extraExtensions: [{ type: X.renegotiation_info, data: Uint8Array.of(0) }, {
      type: X.session_ticket,
      data: new Uint8Array(0),
    }],
    extensionOrder: [
      X.server_name,
      X.renegotiation_info,
      X.supported_groups,
      X.session_ticket,
      X.key_share,
      X.supported_versions,
      X.signature_algorithms,
      X.psk_key_exchange_modes,
      X.record_size_limit,
    ],
  }));
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(3, "client", "send handshake record", "complete record", 0)),
    "ClientHello record",
  );

  const sh = field(3, "server", "send handshake record", "complete record", 0);
  const flight = field(3, "server", "send handshake record", "complete record", 1);
  const events = await conn.receive(new Uint8Array([...sh, ...flight]));
  assert.deepEqual(events.map((e) => e.type), ["handshake_complete"]);
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(3, "client", "send handshake record", "complete record", 1)),
    "Finished record",
  );
  assert.deepEqual(verified, [`server ${new Date(TRACE_NOW).toISOString()}`]);
  assert.equal(conn.certificateStatus?.verified, true);
  const info = conn.info!;
  assert.equal(info.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assert.equal(info.group, "x25519");
  assert.equal(info.serverName, "server");
  assert.equal(info.peerSignatureScheme, "rsa_pss_rsae_sha256");
  assert.equal(toHex(info.peerCertificates[0]), toHex(traceCertificate(3)));

  const secrets = keyLogMap(log);
  assertSecret(secrets, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 3, 'derive secret "tls13 c hs traffic"');
  assertSecret(secrets, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 3, 'derive secret "tls13 s hs traffic"');
  assertSecret(secrets, "CLIENT_TRAFFIC_SECRET_0", 3, 'derive secret "tls13 c ap traffic"');
  assertSecret(secrets, "SERVER_TRAFFIC_SECRET_0", 3, 'derive secret "tls13 s ap traffic"');
  assertSecret(secrets, "EXPORTER_SECRET", 3, 'derive secret "tls13 exp master"');
  assert.equal(log[0].split(" ")[1], toHex(random), "key log lines carry the client random");
  const rms = (conn as unknown as { resumptionMasterSecret: Uint8Array }).resumptionMasterSecret;
  assert.equal(toHex(rms), toHex(field(3, "client", 'derive secret "tls13 res master"', "expanded")));

  const nst = await conn.receive(field(3, "server", "send handshake record", "complete record", 2));
  assert.equal(nst.length, 1);
  assert.equal(nst[0].type, "session_ticket");
  const ticket = (nst[0] as { ticket: NewSessionTicket }).ticket;
  const traceNst = field(3, "server", "construct a NewSessionTicket", "NewSessionTicket");
  assert.equal(ticket.lifetime, 0x1e);
  assert.equal(toHex(ticket.nonce), "0000");
  assert.equal(ticket.ticket.length, 0xb2);
  assert.ok(toHex(traceNst).includes(toHex(ticket.ticket)));

  const serverData = await conn.receive(field(3, "server", "send application_data record", "complete record"));
  assert.deepEqual(serverData, [{ type: "data", data: field(3, "server", "send application_data record", "payload") }]);
  conn.send(field(3, "client", "send application_data record", "payload"));
  assert.equal(toHex(conn.takeOutput()), toHex(field(3, "client", "send application_data record", "complete record")));
  conn.close();
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(3, "client", "send alert record", "complete record")),
    "close_notify",
  );
  const closed = await conn.receive(field(3, "server", "send alert record", "complete record"));
  assert.deepEqual(closed, [{ type: "peer_closed" }]);
  assert.ok(conn.isClosed);
});

Deno.test("RFC 8448 §5: both ClientHellos around the HelloRetryRequest, secrets and Finished match the trace", async () => {
  const random = field(5, "client", "construct a ClientHello", "ClientHello").subarray(6, 38);
  const x = fixedKeyShare("x25519", field(5, "client", "create an ephemeral x25519", "private key"));
  const p = fixedKeyShare("secp256r1", field(5, "client", "create an ephemeral P-256", "private key"));
  const log: string[] = [];
  const conn = new ClientConnection(clientConfig({
    ...traceOptions(replayProvider([random], [x, p]), log, traceVerifier(5, [])),
    extraExtensions: [{ type: X.renegotiation_info, data: Uint8Array.of(0) }],
    // The cookie goes after signature_algorithms, as the trace's client placed it; padding goes last.
    extensionOrder: [
      X.server_name,
      X.renegotiation_info,
      X.supported_groups,
      X.key_share,
      X.supported_versions,
      X.signature_algorithms,
      X.cookie,
      X.psk_key_exchange_modes,
      X.record_size_limit,
    ],
    padding: true,
  }));
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(5, "client", "send handshake record", "complete record", 0)),
    "ClientHello1",
  );

  assert.deepEqual(await conn.receive(field(5, "server", "send handshake record", "complete record", 0)), []);
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(5, "client", "send handshake record", "complete record", 1)),
    "ClientHello2",
  );

  const sh = field(5, "server", "send handshake record", "complete record", 1);
  const flight = field(5, "server", "send handshake record", "complete record", 2);
  const events = await conn.receive(new Uint8Array([...sh, ...flight]));
  assert.deepEqual(events.map((e) => e.type), ["handshake_complete"]);
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(5, "client", "send handshake record", "complete record", 2)),
    "Finished record",
  );
  assert.equal(conn.info!.group, "secp256r1");

  const secrets = keyLogMap(log);
  assertSecret(secrets, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 5, 'derive secret "tls13 c hs traffic"');
  assertSecret(secrets, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 5, 'derive secret "tls13 s hs traffic"');
  assertSecret(secrets, "CLIENT_TRAFFIC_SECRET_0", 5, 'derive secret "tls13 c ap traffic"');
  assertSecret(secrets, "SERVER_TRAFFIC_SECRET_0", 5, 'derive secret "tls13 s ap traffic"');
  assertSecret(secrets, "EXPORTER_SECRET", 5, 'derive secret "tls13 exp master"');
  const rms = (conn as unknown as { resumptionMasterSecret: Uint8Array }).resumptionMasterSecret;
  assert.equal(toHex(rms), toHex(field(5, "client", 'derive secret "tls13 res master"', "expanded")));

  conn.close();
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(5, "client", "send alert record", "complete record")),
    "close_notify",
  );
});
