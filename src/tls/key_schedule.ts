/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) as a chain of phase types:
 * EarlySecret → HandshakeSecret → MasterSecret. Application traffic secrets can only be made from a
 * MasterSecret, which only exists once the handshake secret has been derived, and so on.
 */
import type { Hash } from "../crypto/provider.ts";

const encoder = new TextEncoder();

/** HKDF-Extract (RFC 5869 §2.2). */
export function hkdfExtract(hash: Hash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hash.hmac(salt.length ? salt : new Uint8Array(hash.outputLength), ikm);
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const n = Math.ceil(length / hash.outputLength);
  if (n > 255) throw new RangeError("HKDF-Expand length too large");
  const out = new Uint8Array(n * hash.outputLength);
  let prev = new Uint8Array(0);
  const block = new Uint8Array(hash.outputLength + info.length + 1);
  for (let i = 0; i < n; i++) {
    const input = block.subarray(0, prev.length + info.length + 1);
    input.set(prev, 0);
    input.set(info, prev.length);
    input[prev.length + info.length] = i + 1;
    prev = hash.hmac(prk, input) as Uint8Array<ArrayBuffer>;
    out.set(prev, i * hash.outputLength);
  }
  return out.subarray(0, length);
}

/**
 * `HkdfLabel.length ‖ <"tls13 " + label>` (RFC 8446 §7.1), encoded once per length and label: the handshake's
 * labels are the RFC's constants, a few dozen in all.
 */
const labelPrefixes = new Map<string, Map<number, Uint8Array>>();

/**
 * Looked up by label, then length: no key string is built per call. Exporter labels come from the application
 * (RFC 8446 §7.5), so the cache is emptied past a few dozen labels rather than grow with them.
 */
function labelPrefix(label: string, length: number): Uint8Array {
  let byLength = labelPrefixes.get(label);
  if (!byLength) {
    if (labelPrefixes.size >= 64) labelPrefixes.clear();
    labelPrefixes.set(label, byLength = new Map());
  }
  let prefix = byLength.get(length);
  if (!prefix) {
    const full = encoder.encode("tls13 " + label);
    prefix = new Uint8Array(3 + full.length);
    prefix[0] = length >> 8;
    prefix[1] = length & 0xff;
    prefix[2] = full.length;
    prefix.set(full, 3);
    byLength.set(length, prefix);
  }
  return prefix;
}

/**
 * HKDF-Expand-Label (RFC 8446 §7.1): the label is prefixed with "tls13 ". Every length TLS 1.3 asks for is at
 * most the hash's output, so HKDF-Expand is one HMAC over `HkdfLabel ‖ 0x01`, built in one buffer.
 */
export function hkdfExpandLabel(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const prefix = labelPrefix(label, length);
  const info = new Uint8Array(prefix.length + 1 + context.length + 1);
  info.set(prefix);
  info[prefix.length] = context.length;
  info.set(context, prefix.length + 1);
  if (length > hash.outputLength) return hkdfExpand(hash, secret, info.subarray(0, info.length - 1), length);
  info[info.length - 1] = 1;
  const block = hash.hmac(secret, info);
  return length === block.length ? block : block.subarray(0, length);
}

/** Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length) */
export function deriveSecret(hash: Hash, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hash.outputLength);
}

/** Traffic key and IV from a traffic secret (RFC 8446 §7.3). */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

export function trafficKeys(hash: Hash, secret: Uint8Array, keyLength: number, ivLength = 12): TrafficKeys {
  return {
    key: hkdfExpandLabel(hash, secret, "key", new Uint8Array(0), keyLength),
    iv: hkdfExpandLabel(hash, secret, "iv", new Uint8Array(0), ivLength),
  };
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2). */
export function nextTrafficSecret(hash: Hash, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, "traffic upd", new Uint8Array(0), hash.outputLength);
}

/** Finished verify_data (RFC 8446 §4.4.4): HMAC(finished_key, Transcript-Hash(...)). */
export function finishedVerifyData(hash: Hash, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const finishedKey = hkdfExpandLabel(hash, baseKey, "finished", new Uint8Array(0), hash.outputLength);
  return hash.hmac(finishedKey, transcriptHash);
}

const emptyHashes = new WeakMap<Hash, Uint8Array>();

/** Hash(""), a constant per hash function, used by every "derived" step. */
function emptyHash(hash: Hash): Uint8Array {
  let h = emptyHashes.get(hash);
  if (!h) emptyHashes.set(hash, h = hash.hash(new Uint8Array(0)));
  return h;
}

/** Without a PSK the early secret, and the salt derived from it, are constants per hash (RFC 8446 §7.1). */
const zeroPskEarly = new WeakMap<Hash, EarlySecret>();

/** The Early Secret: HKDF-Extract(0, PSK), with a zero PSK when none is used. */
export class EarlySecret {
  private constructor(readonly hash: Hash, private readonly secret: Uint8Array) {}

  static fromPsk(hash: Hash, psk?: Uint8Array): EarlySecret {
    if (psk) return new EarlySecret(hash, hkdfExtract(hash, new Uint8Array(0), psk));
    let early = zeroPskEarly.get(hash);
    if (!early) {
      zeroPskEarly.set(
        hash,
        early = new EarlySecret(hash, hkdfExtract(hash, new Uint8Array(0), new Uint8Array(hash.outputLength))),
      );
    }
    return early;
  }

  private derivedSalt: Uint8Array | undefined;

  /** binder_key (RFC 8446 §7.1, §4.2.11.2): "res binder" for tickets, "ext binder" for external PSKs. */
  binderKey(external: boolean): Uint8Array {
    return deriveSecret(this.hash, this.secret, external ? "ext binder" : "res binder", emptyHash(this.hash));
  }

  /** client_early_traffic_secret over Transcript-Hash(ClientHello). */
  clientEarlyTrafficSecret(helloHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.secret, "c e traffic", helloHash);
  }

  earlyExporterMasterSecret(helloHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.secret, "e exp master", helloHash);
  }

  /** Mixes in the (EC)DHE shared secret, or zeros for psk_ke (RFC 8446 §7.1). */
  intoHandshake(sharedSecret?: Uint8Array): HandshakeSecret {
    const salt = this.derivedSalt ??= deriveSecret(this.hash, this.secret, "derived", emptyHash(this.hash));
    const ikm = sharedSecret ?? new Uint8Array(this.hash.outputLength);
    return new HandshakeSecret(this.hash, hkdfExtract(this.hash, salt, ikm));
  }
}

export class HandshakeSecret {
  constructor(readonly hash: Hash, private readonly secret: Uint8Array) {}

  /** Both handshake traffic secrets over Transcript-Hash(ClientHello...ServerHello). */
  trafficSecrets(helloHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    return {
      client: deriveSecret(this.hash, this.secret, "c hs traffic", helloHash),
      server: deriveSecret(this.hash, this.secret, "s hs traffic", helloHash),
    };
  }

  intoMaster(): MasterSecret {
    const salt = deriveSecret(this.hash, this.secret, "derived", emptyHash(this.hash));
    return new MasterSecret(this.hash, hkdfExtract(this.hash, salt, new Uint8Array(this.hash.outputLength)));
  }
}

export class MasterSecret {
  constructor(readonly hash: Hash, private readonly secret: Uint8Array) {}

  /** Application traffic secrets and the exporter master secret over Transcript-Hash(ClientHello...server Finished). */
  applicationSecrets(serverFinishedHash: Uint8Array): {
    client: Uint8Array;
    server: Uint8Array;
    exporter: Uint8Array;
  } {
    return {
      client: deriveSecret(this.hash, this.secret, "c ap traffic", serverFinishedHash),
      server: deriveSecret(this.hash, this.secret, "s ap traffic", serverFinishedHash),
      exporter: deriveSecret(this.hash, this.secret, "exp master", serverFinishedHash),
    };
  }

  /** resumption_master_secret over Transcript-Hash(ClientHello...client Finished). */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.secret, "res master", clientFinishedHash);
  }
}

/** The PSK of a ticket (RFC 8446 §4.6.1). */
export function ticketPsk(hash: Hash, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, resumptionMasterSecret, "resumption", ticketNonce, hash.outputLength);
}

/** TLS-Exporter (RFC 8446 §7.5). */
export function exportKeyingMaterial(
  hash: Hash,
  exporterMasterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const derived = deriveSecret(hash, exporterMasterSecret, label, emptyHash(hash));
  return hkdfExpandLabel(hash, derived, "exporter", hash.hash(context), length);
}
