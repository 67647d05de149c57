/**
 * The TLS 1.3 cipher suites (RFC 8446 §B.4): an AEAD and the hash used by HKDF and the transcript.
 */
import type { Aead, AeadName, CryptoProvider, Hash, HashName } from "../crypto/provider.ts";
import { CipherSuite } from "./wire/constants.ts";

export interface SuiteParams {
  readonly code: number;
  readonly name: string;
  readonly aead: AeadName;
  readonly hash: HashName;
}

const table: readonly SuiteParams[] = [
  { code: CipherSuite.TLS_AES_128_GCM_SHA256, name: "TLS_AES_128_GCM_SHA256", aead: "AES-128-GCM", hash: "SHA-256" },
  { code: CipherSuite.TLS_AES_256_GCM_SHA384, name: "TLS_AES_256_GCM_SHA384", aead: "AES-256-GCM", hash: "SHA-384" },
  {
    code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    name: "TLS_CHACHA20_POLY1305_SHA256",
    aead: "CHACHA20-POLY1305",
    hash: "SHA-256",
  },
  { code: CipherSuite.TLS_AES_128_CCM_SHA256, name: "TLS_AES_128_CCM_SHA256", aead: "AES-128-CCM", hash: "SHA-256" },
  {
    code: CipherSuite.TLS_AES_128_CCM_8_SHA256,
    name: "TLS_AES_128_CCM_8_SHA256",
    aead: "AES-128-CCM-8",
    hash: "SHA-256",
  },
];

const byCode = new Map(table.map((s) => [s.code, s]));

export function suiteParams(code: number): SuiteParams | undefined {
  return byCode.get(code);
}

/** Server preference by default: AES-GCM first, ChaCha20 after; CCM suites are off unless enabled (as in OpenSSL). */
export const DEFAULT_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
];

export const ALL_SUITES: readonly number[] = table.map((s) => s.code);

export function suiteByName(name: string): number {
  const found = table.find((s) => s.name === name);
  if (!found) throw new TypeError(`unknown cipher suite ${name}`);
  return found.code;
}

/** A negotiated suite with the provider's hash and AEAD for it: what the transcript and the record layer use. */
export interface Suite {
  readonly params: SuiteParams;
  readonly hash: Hash;
  readonly aead: Aead;
}

const suitesByProvider = new WeakMap<CryptoProvider, Map<number, Suite>>();

/** The Suite of `params` under `provider`, made once per provider and suite rather than per connection. */
export function suiteOf(provider: CryptoProvider, params: SuiteParams): Suite {
  let suites = suitesByProvider.get(provider);
  if (!suites) suitesByProvider.set(provider, suites = new Map());
  let suite = suites.get(params.code);
  if (!suite) {
    suites.set(params.code, suite = { params, hash: provider.hash(params.hash), aead: provider.aead(params.aead) });
  }
  return suite;
}
