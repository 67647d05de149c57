/**
 * The crypto provider boundary: the only place the engine gets a primitive from.
 *
 * Two providers implement it: `noble` (portable, default) and `native` (node:crypto / WebCrypto, for speed).
 * Symmetric operations are synchronous so the record path never awaits; signatures are asynchronous
 * because RSA only exists behind WebCrypto / node:crypto on some runtimes.
 * Key state (AEAD keys, signing keys) lives in objects made once per connection or per server.
 */

export type HashName = "SHA-256" | "SHA-384";

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
  update(data: Uint8Array): void;
  /** The hash of everything fed so far; the running state is not finalized. */
  digest(): Uint8Array;
  clone(): TranscriptHash;
}

export interface Hash {
  readonly name: HashName;
  /** Output length in bytes (32 or 48). */
  readonly outputLength: number;
  hash(data: Uint8Array): Uint8Array;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
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

export interface Aead {
  readonly name: AeadName;
  readonly keyLength: number;
  /** Always 12 for the TLS 1.3 suites (RFC 8446 §5.3). */
  readonly nonceLength: number;
  readonly tagLength: number;
  importKey(key: Uint8Array): AeadKey;
}

/** An ephemeral key pair for one handshake. */
export interface KeyShare {
  readonly group: GroupName;
  /** The KeyShareEntry.key_exchange bytes (RFC 8446 §4.2.8.2: raw X25519, or uncompressed point). */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with the peer's key_exchange bytes. Throws CryptoError invalid_key_share for a
   * malformed or invalid point, invalid_shared_secret for an all-zero X25519 result (RFC 8446 §7.4.2).
   */
  agree(peerPublic: Uint8Array): Uint8Array;
}

export interface KeyExchange {
  readonly group: GroupName;
  generate(): KeyShare;
}

/** A private key imported once, able to sign with the schemes its kind allows. */
export interface SigningKey {
  readonly kind: KeyKind;
  /** Signs `message` (the full CertificateVerify content of RFC 8446 §4.4.3) under `scheme`. */
  sign(scheme: number, message: Uint8Array): Promise<Uint8Array>;
}

export interface CryptoProvider {
  readonly name: string;
  /**
   * AEADs from fastest to slowest on this provider and runtime: a server that was given no suite order
   * prefers suites in this order (AES-GCM is slow on some paths, ChaCha20-Poly1305 on others).
   */
  readonly preferredAeads?: readonly AeadName[];
  hash(name: HashName): Hash;
  aead(name: AeadName): Aead;
  keyExchange(group: GroupName): KeyExchange;
  /** Imports a PKCS#8 DER private key. */
  importSigningKey(pkcs8: Uint8Array, kind: KeyKind): Promise<SigningKey>;
  /**
   * Verifies `signature` over `message` under `scheme` with the public key in `spki` (SubjectPublicKeyInfo DER).
   * Returns false for a bad signature; throws CryptoError unsupported_scheme when the key does not fit the scheme,
   * invalid_public_key when it does not decode.
   */
  verify(spki: Uint8Array, scheme: number, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  randomBytes(n: number): Uint8Array;
}
