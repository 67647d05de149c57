/**
 * The crypto provider boundary: the only place the engine gets a primitive from.
 *
 * Two providers implement it: `noble` (portable, default) and `native` (node:crypto / WebCrypto, for speed).
 * Symmetric operations are synchronous so the record path never awaits; signatures are asynchronous
 * because RSA only exists behind WebCrypto / node:crypto on some runtimes.
 * Key state (AEAD keys, signing keys) lives in objects made once per connection or per server.
 */

/** The hashes of the TLS 1.3 cipher suites (RFC 8446 §B.4). */
export type HashName = "SHA-256" | "SHA-384";

/** The AEADs of the TLS 1.3 cipher suites (RFC 8446 §B.4). */
export type AeadName =
  | "AES-128-GCM"
  | "AES-256-GCM"
  | "CHACHA20-POLY1305"
  | "AES-128-CCM"
  | "AES-128-CCM-8";

/** Key exchange groups of RFC 8446 §4.2.7 that we implement. */
export type GroupName = "x25519" | "secp256r1" | "secp384r1";

/** What a private key is, as far as choosing a SignatureScheme goes. */
export type KeyKind = "ecdsa-p256" | "ecdsa-p384" | "ed25519" | "rsa";

/** A running hash over the handshake transcript (RFC 8446 §4.4.1). */
export interface TranscriptHash {
  /** Feeds the next handshake message bytes. */
  update(data: Uint8Array): void;
  /** The hash of everything fed so far; the running state is not finalized. */
  digest(): Uint8Array;
  /** A copy that runs on independently (for Finished and binder computations over a prefix). */
  clone(): TranscriptHash;
}

/** A hash function with its HMAC (RFC 2104), for HKDF and the transcript. */
export interface Hash {
  /** Which hash this is. */
  readonly name: HashName;
  /** Output length in bytes (32 or 48). */
  readonly outputLength: number;
  /** The digest of `data`. */
  hash(data: Uint8Array): Uint8Array;
  /** HMAC of `data` under `key`. */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** A fresh running transcript hash. */
  transcript(): TranscriptHash;
}

/** An AEAD with its key imported once (per direction, per traffic secret). */
export interface AeadKey {
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Seals `content` followed by the one byte `trailer` (a TLSInnerPlaintext and its content type, RFC 8446 §5.2)
   * and writes ciphertext‖tag at `out[offset]` (content.length + 1 + tagLength bytes): the record path seals
   * straight into its output buffer instead of copying the content into a plaintext first.
   */
  sealTo(
    nonce: Uint8Array,
    aad: Uint8Array,
    content: Uint8Array,
    trailer: number,
    out: Uint8Array,
    offset: number,
  ): void;
  /** Returns the plaintext, or null when authentication fails (the caller sends bad_record_mac). */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
}

/** An AEAD algorithm (RFC 5116), before a key is chosen. */
export interface Aead {
  /** Which AEAD this is. */
  readonly name: AeadName;
  /** Key length in bytes. */
  readonly keyLength: number;
  /** Always 12 for the TLS 1.3 suites (RFC 8446 §5.3). */
  readonly nonceLength: number;
  /** Authentication tag length in bytes (16, or 8 for AES-128-CCM-8). */
  readonly tagLength: number;
  /** Imports a traffic key once, for every record sealed or opened under it. */
  importKey(key: Uint8Array): AeadKey;
}

/** An ephemeral key pair for one handshake. */
export interface KeyShare {
  /** The group this share belongs to. */
  readonly group: GroupName;
  /** The KeyShareEntry.key_exchange bytes (RFC 8446 §4.2.8.2: raw X25519, or uncompressed point). */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with the peer's key_exchange bytes. Throws TlsAlert illegal_parameter for a
   * malformed or invalid point, or an all-zero X25519 result (RFC 8446 §7.4.2).
   */
  agree(peerPublic: Uint8Array): Uint8Array;
}

/** A key exchange group (RFC 8446 §4.2.7) that makes ephemeral shares. */
export interface KeyExchange {
  /** The group it makes shares for. */
  readonly group: GroupName;
  /** A new ephemeral key pair. */
  generate(): KeyShare;
}

/** A private key imported once, able to sign with the schemes its kind allows. */
export interface SigningKey {
  /** The key's algorithm, which limits the schemes it can sign with. */
  readonly kind: KeyKind;
  /** Signs `message` (the full CertificateVerify content of RFC 8446 §4.4.3) under `scheme`. */
  sign(scheme: number, message: Uint8Array): Promise<Uint8Array>;
}

/** Every primitive the TLS engine uses, from one place: `nobleProvider`, `nativeProvider`, or your own. */
export interface CryptoProvider {
  /** A name for logs and the probe, e.g. "noble" or "native". */
  readonly name: string;
  /**
   * AEADs from fastest to slowest on this provider and runtime: a server that was given no suite order
   * prefers suites in this order (AES-GCM is slow on some paths, ChaCha20-Poly1305 on others).
   */
  readonly preferredAeads?: readonly AeadName[];
  /** The hash named. */
  hash(name: HashName): Hash;
  /** The AEAD named. */
  aead(name: AeadName): Aead;
  /** The key exchange group named. */
  keyExchange(group: GroupName): KeyExchange;
  /** Imports a PKCS#8 DER private key. */
  importSigningKey(pkcs8: Uint8Array, kind: KeyKind): Promise<SigningKey>;
  /**
   * Verifies `signature` over `message` under `scheme` with the public key in `spki` (SubjectPublicKeyInfo DER).
   * Returns false for a bad signature; throws TlsAlert illegal_parameter when the key does not fit the scheme.
   */
  verify(spki: Uint8Array, scheme: number, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** `n` bytes from a cryptographically secure generator. */
  randomBytes(n: number): Uint8Array;
}
