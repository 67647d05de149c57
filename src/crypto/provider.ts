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

/**
 * Key exchange groups that we implement: RFC 8446 §4.2.7 (ECDHE, X25519/X448), RFC 7919 (FFDHE) and the hybrid
 * post-quantum groups of draft-ietf-tls-ecdhe-mlkem. The names are the IANA registry's.
 */
export type GroupName =
  | "x25519"
  | "secp256r1"
  | "secp384r1"
  | "secp521r1"
  | "x448"
  | "ffdhe2048"
  | "ffdhe3072"
  | "ffdhe4096"
  | "X25519MLKEM768"
  | "SecP256r1MLKEM768"
  | "SecP384r1MLKEM1024";

/**
 * What a private key is, as far as choosing a SignatureScheme goes: "rsa" is an rsaEncryption key (rsa_pss_rsae_*),
 * "rsa-pss" an id-RSASSA-PSS one (rsa_pss_pss_*, RFC 8446 §4.2.3).
 */
export type KeyKind = "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521" | "ed25519" | "ed448" | "rsa" | "rsa-pss";

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

/**
 * The client's half of a key exchange for one handshake, shaped for KEMs (draft-ietf-tls-ecdhe-mlkem §3): its
 * share goes into the ClientHello, and the server's answer completes it. For (EC)DHE the share is a public key and
 * completing is the agreement; for ML-KEM the share is an encapsulation key and completing is decapsulation.
 */
export interface KeyShare {
  /** The group this share belongs to. */
  readonly group: GroupName;
  /** The KeyShareEntry.key_exchange bytes (RFC 8446 §4.2.8.2: raw X25519/X448, uncompressed point, padded FFDHE Y). */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret from the server's key_exchange bytes. Rejects with CryptoError invalid_key_share for a
   * malformed share (wrong length, a point off the curve, an FFDHE value out of range, a ciphertext of the wrong
   * size), invalid_shared_secret for an all-zero X25519/X448 result (RFC 8446 §7.4.2).
   */
  decapsulate(serverShare: Uint8Array): Promise<Uint8Array>;
}

/** The server's answer to a client's share: what goes into the ServerHello, and the shared secret. */
export interface EncapsulatedShare {
  /** The server's key_share entry (RFC 8446 §4.2.8): its public value, or the KEM ciphertext. */
  readonly keyExchange: Uint8Array;
  /** The (EC)DHE or KEM shared secret that enters the key schedule (§7.1). */
  readonly sharedSecret: Uint8Array;
}

/** A key exchange group (RFC 8446 §4.2.7) that makes ephemeral shares. */
export interface KeyExchange {
  /** The group it makes shares for. */
  readonly group: GroupName;
  /** Client side: a fresh share. Synchronous, because a client builds its ClientHello when it is made. */
  generate(): KeyShare;
  /**
   * Server side: answers the client's share. (EC)DHE makes a key pair and agrees; a KEM encapsulates to the
   * client's key. Rejects with the CryptoErrors of KeyShare.decapsulate, and invalid_key_share for an ML-KEM
   * encapsulation key that fails the FIPS 203 §7.2 checks.
   */
  encapsulate(clientShare: Uint8Array): Promise<EncapsulatedShare>;
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
  /**
   * (EC)DHE and FFDHE groups from cheapest to dearest for a server on this provider and runtime (its encapsulation:
   * key generation and agreement): a server that was given no group order picks, among the groups the client sent
   * shares for, the first in this order, after the hybrid post-quantum groups.
   */
  readonly preferredGroups?: readonly GroupName[];
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
   * Returns false for a bad signature; throws CryptoError unsupported_scheme when the key does not fit the scheme,
   * invalid_public_key when it does not decode.
   */
  verify(spki: Uint8Array, scheme: number, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** `n` bytes from a cryptographically secure generator. */
  randomBytes(n: number): Uint8Array;
}
