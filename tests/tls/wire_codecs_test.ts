/**
 * The wire codecs (src/tls/wire/): every message and extension survives an encode/decode round trip, and every
 * length rule of RFC 8446's presentation language (§3, §4) refuses what breaks it, with the named rule of
 * failures.ts.
 */
import assert from "node:assert/strict";
import { TlsAlert } from "../../src/tls/alert.ts";
import type { FailureName } from "../../src/tls/failures.ts";
import { decodeCertificate, encodeCertificate } from "../../src/tls/wire/certificate.ts";
import { decodeCertificateRequest, encodeCertificateRequest } from "../../src/tls/wire/certificate_request.ts";
import {
  certificateVerifyContent,
  decodeCertificateVerify,
  encodeCertificateVerify,
  SERVER_CONTEXT,
} from "../../src/tls/wire/certificate_verify.ts";
import { decodeClientHello, encodeClientHello } from "../../src/tls/wire/client_hello.ts";
import { ExtensionType as X, HandshakeType, NamedGroup } from "../../src/tls/wire/constants.ts";
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from "../../src/tls/wire/encrypted_extensions.ts";
import { decodeProtocolNames, encodeProtocolNames } from "../../src/tls/wire/extensions/alpn.ts";
import { decodeCookie, encodeCookie } from "../../src/tls/wire/extensions/cookie.ts";
import { decodeMaxEarlyDataSize, encodeMaxEarlyDataSize } from "../../src/tls/wire/extensions/early_data.ts";
import { decodeBody, type Extension } from "../../src/tls/wire/extensions/extension_list.ts";
import {
  decodeClientKeyShares,
  decodeHelloRetryKeyShare,
  decodeServerKeyShare,
  encodeClientKeyShares,
  encodeHelloRetryKeyShare,
  encodeServerKeyShare,
} from "../../src/tls/wire/extensions/key_share.ts";
import {
  bindersLength,
  decodeOfferedPsks,
  decodeSelectedIdentity,
  encodeOfferedPsks,
  encodeSelectedIdentity,
} from "../../src/tls/wire/extensions/pre_shared_key.ts";
import { decodePskModes, encodePskModes } from "../../src/tls/wire/extensions/psk_key_exchange_modes.ts";
import { decodeRecordSizeLimit, encodeRecordSizeLimit } from "../../src/tls/wire/extensions/record_size_limit.ts";
import { decodeServerName, encodeServerName } from "../../src/tls/wire/extensions/server_name.ts";
import { decodeSignatureSchemes, encodeSignatureSchemes } from "../../src/tls/wire/extensions/signature_algorithms.ts";
import { decodeSupportedGroups, encodeSupportedGroups } from "../../src/tls/wire/extensions/supported_groups.ts";
import {
  decodeSelectedVersion,
  decodeSupportedVersionsList,
  encodeSelectedVersion,
  encodeSupportedVersionsList,
} from "../../src/tls/wire/extensions/supported_versions.ts";
import { decodeFinished } from "../../src/tls/wire/finished.ts";
import { encodeHandshake, type HandshakeMessage, HandshakeReassembler } from "../../src/tls/wire/handshake.ts";
import { decodeKeyUpdate, encodeKeyUpdate } from "../../src/tls/wire/key_update.ts";
import {
  decodeNewSessionTicket,
  encodeNewSessionTicket,
  ticketMaxEarlyData,
} from "../../src/tls/wire/new_session_ticket.ts";
import { Reader } from "../../src/tls/wire/reader.ts";
import {
  decodeServerHello,
  encodeServerHello,
  HELLO_RETRY_REQUEST_RANDOM,
  isHelloRetryRequest,
} from "../../src/tls/wire/server_hello.ts";
import { Writer } from "../../src/tls/wire/writer.ts";

/** `run` throws the TlsAlert of rule `rule`. */
function refuses(run: () => unknown, rule: FailureName, what: string = rule): void {
  assert.throws(run, (e) => e instanceof TlsAlert && e.failure === rule, what);
}

const bytes = (...b: number[]) => Uint8Array.from(b);
const ext = (type: number, data: Uint8Array): Extension => ({ type, data });
/** An extension body through `decode`, as decodeBody reads it (trailing bytes refused). */
const body = <T>(data: Uint8Array, decode: (r: Reader) => T) => decodeBody(ext(0xfafa, data), decode);

Deno.test("Reader: integers, vectors, floors, truncation and trailing bytes", () => {
  const r = new Reader(bytes(1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 2, 9, 9));
  assert.equal(r.u8(), 1);
  assert.equal(r.u16(), 2);
  assert.equal(r.u24(), 3);
  assert.equal(r.u32(), 4);
  assert.deepEqual(r.vec8(), bytes(9, 9));
  r.expectEnd("test");
  assert.equal(new Reader(bytes(0xff, 0xff, 0xff, 0xff)).u32(), 0xffffffff, "u32 stays unsigned");
  refuses(() => new Reader(bytes(1)).u16(), "decode_truncated");
  refuses(() => new Reader(bytes(0, 3, 1, 2)).vec16(), "decode_truncated");
  refuses(() => new Reader(bytes(0, 0, 1, 7)).vec24(2), "decode_vector_too_short");
  refuses(() => new Reader(bytes(0, 3, 0, 1, 2)).u16List(), "decode_odd_list");
  refuses(() => new Reader(bytes(1, 2)).expectEnd("x"), "decode_trailing_bytes");
  const sub = new Reader(bytes(0, 2, 5, 6, 7)).sub16();
  assert.deepEqual([sub.u8(), sub.u8(), sub.remaining], [5, 6, 0], "a sub-reader ends with its vector");
});

Deno.test("Writer: big-endian integers, length prefixes patched in, and a prefix too small is a RangeError", () => {
  const w = new Writer(1).u8(1).u16(0x0203).u24(0x040506).u32(0x0708090a).opaque8(bytes(0xb)).opaque16(bytes())
    .opaque24(bytes(0xc));
  assert.deepEqual(w.finish(), bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 0xb, 0, 0, 0, 0, 1, 0xc));
  assert.deepEqual(new Writer().u16List([0x1301, 0x1302]).finish(), bytes(0, 4, 0x13, 1, 0x13, 2));
  assert.throws(() => new Writer().opaque8(new Uint8Array(256)), RangeError);
  assert.throws(() => new Writer().opaque16(new Uint8Array(65536)), RangeError);
});

Deno.test("handshake framing: header encoding, and the reassembler over every way records can cut messages", () => {
  const a = encodeHandshake(HandshakeType.finished, bytes(1, 2, 3));
  assert.deepEqual(a, bytes(20, 0, 0, 3, 1, 2, 3));
  const b = encodeHandshake(HandshakeType.key_update, bytes(0));
  const stream = Uint8Array.of(...a, ...b);
  for (let size = 1; size <= stream.length; size++) {
    const re = new HandshakeReassembler(1024);
    const got: HandshakeMessage[] = [];
    for (let o = 0; o < stream.length; o += size) {
      re.push(stream.subarray(o, o + size));
      for (let m; (m = re.next());) got.push(m);
    }
    assert.deepEqual(got.map((m) => m.raw), [a, b], `records of ${size} bytes`);
    assert.deepEqual(got[0].body, bytes(1, 2, 3));
    assert.ok(!re.hasPartial && !re.hasMore);
  }
  const re = new HandshakeReassembler(1024);
  re.push(Uint8Array.of(...a, 24, 0));
  assert.deepEqual(re.next()!.raw, a);
  assert.ok(re.hasMore, "a header begun after the first message");
  assert.equal(re.next(), null);
  assert.ok(re.hasPartial);
  refuses(() => new HandshakeReassembler(1024).push(bytes()), "empty_handshake_record");
  const small = new HandshakeReassembler(16);
  small.push(bytes(1, 0, 0, 17));
  refuses(() => small.next(), "message_over_limit", "refused from the header, before the body arrives");
});

Deno.test("ClientHello: round trip with every extension the server reads, and its field rules", () => {
  const extensions = [
    ext(X.server_name, encodeServerName("example.com")),
    ext(X.supported_versions, encodeSupportedVersionsList([0x0304, 0x0303])),
    ext(X.supported_groups, encodeSupportedGroups([NamedGroup.x25519])),
    ext(X.key_share, encodeClientKeyShares([{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(1) }])),
    ext(X.signature_algorithms, encodeSignatureSchemes([0x0403, 0x0804])),
    ext(X.signature_algorithms_cert, encodeSignatureSchemes([0x0403])),
    ext(X.application_layer_protocol_negotiation, encodeProtocolNames(["h2", "http/1.1"])),
    ext(X.cookie, encodeCookie(bytes(7, 7))),
    ext(X.psk_key_exchange_modes, encodePskModes([1])),
    ext(X.record_size_limit, encodeRecordSizeLimit(16385)),
    ext(X.post_handshake_auth, bytes()),
    ext(X.early_data, bytes()),
    ext(0x0a0a, bytes(0)),
    ext(
      X.pre_shared_key,
      encodeOfferedPsks({
        identities: [{ identity: bytes(1, 2, 3), obfuscatedTicketAge: 99 }],
        binders: [new Uint8Array(32)],
      }),
    ),
  ];
  const fields = {
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(5),
    legacySessionId: new Uint8Array(32).fill(6),
    cipherSuites: [0x1301, 0x1303],
    legacyCompressionMethods: bytes(0),
  };
  const hello = decodeClientHello(encodeClientHello({ ...fields, extensions }));
  assert.deepEqual(
    [hello.legacyVersion, hello.random, hello.legacySessionId, hello.cipherSuites, hello.legacyCompressionMethods],
    Object.values(fields),
  );
  assert.deepEqual(hello.extensions, extensions);
  assert.equal(hello.serverName, "example.com");
  assert.deepEqual(hello.supportedVersions, [0x0304, 0x0303]);
  assert.deepEqual(hello.keyShares![0].group, NamedGroup.x25519);
  assert.deepEqual(hello.alpn, ["h2", "http/1.1"]);
  assert.deepEqual([hello.recordSizeLimit, hello.postHandshakeAuth, hello.earlyData], [16385, true, true]);
  assert.equal(hello.preSharedKey!.identities[0].obfuscatedTicketAge, 99);
  assert.deepEqual(decodeClientHello(encodeClientHello({ ...fields, extensions: [] })).extensions, []);

  const encode = (over: Partial<typeof fields>, list = extensions) =>
    encodeClientHello({ ...fields, ...over, extensions: list });
  refuses(() => decodeClientHello(encode({ legacySessionId: new Uint8Array(33) })), "field_out_of_range");
  refuses(() => decodeClientHello(encode({ cipherSuites: [] })), "decode_vector_too_short");
  refuses(() => decodeClientHello(encode({ legacyCompressionMethods: bytes() })), "decode_vector_too_short");
  refuses(() => decodeClientHello(encode({}, [...extensions].reverse())), "pre_shared_key_not_last");
  refuses(() => decodeClientHello(encode({}, [ext(X.early_data, bytes(0))])), "extension_malformed");
  refuses(() => decodeClientHello(encode({}, [ext(X.post_handshake_auth, bytes(0))])), "extension_malformed");
  refuses(
    () => decodeClientHello(encode({}, [ext(X.padding, bytes()), ext(X.padding, bytes())])),
    "extension_duplicate",
  );
  refuses(() => decodeClientHello(encode({}).subarray(0, 40)), "decode_truncated");
});

Deno.test("ServerHello and HelloRetryRequest: round trip, the special random, and the session id rule", () => {
  const sh = {
    legacyVersion: 0x0303,
    random: HELLO_RETRY_REQUEST_RANDOM,
    legacySessionIdEcho: bytes(1, 2),
    cipherSuite: 0x1302,
    legacyCompressionMethod: 0,
    extensions: [ext(X.key_share, encodeHelloRetryKeyShare(NamedGroup.secp256r1))],
  };
  const back = decodeServerHello(encodeServerHello(sh));
  assert.deepEqual(back, sh);
  assert.ok(isHelloRetryRequest(back));
  assert.ok(!isHelloRetryRequest({ ...back, random: new Uint8Array(32) }));
  refuses(
    () => decodeServerHello(encodeServerHello({ ...sh, legacySessionIdEcho: new Uint8Array(33) })),
    "field_out_of_range",
  );
  refuses(() => decodeServerHello(Uint8Array.of(...encodeServerHello(sh), 0)), "decode_trailing_bytes");
});

Deno.test("extensions: each body round-trips and refuses what its vector floors and rules forbid", () => {
  assert.deepEqual(body(encodeProtocolNames(["h2"]), decodeProtocolNames), ["h2"]);
  refuses(() => body(bytes(0, 0), decodeProtocolNames), "decode_vector_too_short");
  refuses(() => body(bytes(0, 2, 5, 0x41), decodeProtocolNames), "decode_truncated");
  refuses(() => body(bytes(0, 2, 0, 0x41), decodeProtocolNames), "decode_vector_too_short", "empty protocol name");
  assert.deepEqual(body(encodeCookie(bytes(9)), decodeCookie), bytes(9));
  refuses(() => body(bytes(0, 0), decodeCookie), "decode_vector_too_short");
  assert.equal(body(encodeMaxEarlyDataSize(16384), decodeMaxEarlyDataSize), 16384);
  const shares = [{ group: 0x1d, keyExchange: bytes(1) }, { group: 0x17, keyExchange: bytes(2, 3) }];
  assert.deepEqual(body(encodeClientKeyShares(shares), decodeClientKeyShares), shares);
  refuses(() => body(encodeClientKeyShares([shares[0], shares[0]]), decodeClientKeyShares), "key_share_duplicate");
  refuses(() => body(bytes(0, 4, 0, 0x1d, 0, 0), decodeClientKeyShares), "decode_vector_too_short");
  assert.deepEqual(body(encodeServerKeyShare(shares[1]), decodeServerKeyShare), shares[1]);
  assert.equal(body(encodeHelloRetryKeyShare(0x18), decodeHelloRetryKeyShare), 0x18);
  assert.equal(body(encodeSelectedIdentity(0), decodeSelectedIdentity), 0);
  const psks = { identities: [{ identity: bytes(4), obfuscatedTicketAge: 1 }], binders: [new Uint8Array(48)] };
  assert.deepEqual(body(encodeOfferedPsks(psks), decodeOfferedPsks), psks);
  assert.equal(bindersLength([32, 48]), 2 + 33 + 49);
  refuses(
    () => body(encodeOfferedPsks({ ...psks, binders: [...psks.binders, psks.binders[0]] }), decodeOfferedPsks),
    "psk_binder_count",
  );
  refuses(
    () => body(encodeOfferedPsks({ ...psks, binders: [new Uint8Array(31)] }), decodeOfferedPsks),
    "decode_vector_too_short",
  );
  refuses(() => body(encodeOfferedPsks({ ...psks, identities: [] }), decodeOfferedPsks), "decode_vector_too_short");
  assert.deepEqual(body(encodePskModes([0, 1]), decodePskModes), [0, 1]);
  refuses(() => body(bytes(0), decodePskModes), "decode_vector_too_short");
  assert.equal(body(encodeRecordSizeLimit(64), decodeRecordSizeLimit), 64);
  refuses(() => body(encodeRecordSizeLimit(63), decodeRecordSizeLimit), "record_size_limit_too_small");
  assert.equal(body(encodeServerName("Example.COM."), decodeServerName), "example.com");
  const twoNames = new Writer().vec16((w) => w.u8(0).opaque16(bytes(0x61)).u8(0).opaque16(bytes(0x62))).finish();
  refuses(() => body(twoNames, decodeServerName), "server_name_repeated");
  refuses(() => body(encodeServerName("a b"), decodeServerName), "extension_malformed");
  refuses(
    () => body(new Writer().vec16((w) => w.u8(1).opaque16(bytes(1))).finish(), decodeServerName),
    "extension_malformed",
  );
  assert.deepEqual(body(encodeSignatureSchemes([0x0807]), decodeSignatureSchemes), [0x0807]);
  refuses(() => body(bytes(0, 0), decodeSignatureSchemes), "decode_vector_too_short");
  refuses(() => body(bytes(0, 3, 8, 7, 8), decodeSignatureSchemes), "decode_odd_list");
  assert.deepEqual(body(encodeSupportedGroups([0x1d, 0x17]), decodeSupportedGroups), [0x1d, 0x17]);
  assert.deepEqual(body(encodeSupportedVersionsList([0x0304]), decodeSupportedVersionsList), [0x0304]);
  refuses(() => body(bytes(3, 3, 4, 3), decodeSupportedVersionsList), "decode_odd_list");
  refuses(() => body(bytes(0), decodeSupportedVersionsList), "decode_vector_too_short");
  assert.equal(body(encodeSelectedVersion(0x0304), decodeSelectedVersion), 0x0304);
  refuses(() => body(bytes(3, 4, 0), decodeSelectedVersion), "decode_trailing_bytes");
});

Deno.test("Certificate, CertificateRequest, CertificateVerify and EncryptedExtensions: round trips and rules", () => {
  const chain = [bytes(1, 2, 3), bytes(4)];
  const cert = decodeCertificate(encodeCertificate(bytes(9), chain));
  assert.deepEqual(cert.requestContext, bytes(9));
  assert.deepEqual(cert.entries.map((e) => e.certData), chain);
  assert.deepEqual(decodeCertificate(encodeCertificate(bytes(), [])).entries, []);
  refuses(() => decodeCertificate(bytes(0, 0, 0, 5, 0, 0, 0, 0, 0)), "decode_vector_too_short", "empty cert_data");
  const request = {
    requestContext: bytes(1, 2),
    extensions: [ext(X.signature_algorithms, encodeSignatureSchemes([0x0403]))],
  };
  assert.deepEqual(decodeCertificateRequest(encodeCertificateRequest(request)), request);
  const cv = { scheme: 0x0804, signature: bytes(5, 6) };
  assert.deepEqual(decodeCertificateVerify(encodeCertificateVerify(cv)), cv);
  refuses(() => decodeCertificateVerify(bytes(8, 4, 0, 0)), "decode_vector_too_short");
  const content = certificateVerifyContent(SERVER_CONTEXT, bytes(0xaa, 0xbb));
  assert.deepEqual(content.subarray(0, 64), new Uint8Array(64).fill(0x20));
  assert.equal(new TextDecoder().decode(content.subarray(64, 64 + SERVER_CONTEXT.length)), SERVER_CONTEXT);
  assert.deepEqual(content.subarray(64 + SERVER_CONTEXT.length), bytes(0, 0xaa, 0xbb));
  const ee = [ext(X.server_name, bytes()), ext(X.early_data, bytes())];
  assert.deepEqual(decodeEncryptedExtensions(encodeEncryptedExtensions(ee)), ee);
  refuses(() => decodeEncryptedExtensions(bytes(0, 0, 1)), "decode_trailing_bytes");
});

Deno.test("Finished, KeyUpdate and NewSessionTicket: exact lengths, allowed values, round trips", () => {
  assert.deepEqual(decodeFinished(new Uint8Array(32), 32), new Uint8Array(32));
  refuses(() => decodeFinished(new Uint8Array(48), 32), "finished_length");
  refuses(() => decodeFinished(new Uint8Array(128 * 1024), 48), "finished_length");
  assert.equal(decodeKeyUpdate(encodeKeyUpdate(true)), true);
  assert.equal(decodeKeyUpdate(encodeKeyUpdate(false)), false);
  refuses(() => decodeKeyUpdate(bytes(2)), "key_update_invalid");
  refuses(() => decodeKeyUpdate(bytes(1, 0)), "decode_trailing_bytes");
  refuses(() => decodeKeyUpdate(bytes()), "decode_truncated");
  const nst = {
    lifetime: 7200,
    ageAdd: 0xfffffffe,
    nonce: bytes(0, 1),
    ticket: bytes(1, 2, 3),
    extensions: [ext(X.early_data, encodeMaxEarlyDataSize(1024))],
  };
  const back = decodeNewSessionTicket(encodeNewSessionTicket(nst));
  assert.deepEqual(back, nst);
  assert.equal(ticketMaxEarlyData(back), 1024);
  assert.equal(ticketMaxEarlyData({ ...back, extensions: [] }), 0);
  refuses(() => decodeNewSessionTicket(encodeNewSessionTicket({ ...nst, ticket: bytes() })), "decode_vector_too_short");
});
