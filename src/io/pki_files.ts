/**
 * Certificates, keys and trust anchors from where the public options say they are: text in memory, bytes, or a
 * file. This is the file-system side of src/tls/pki, which only ever takes bytes (DESIGN.md: the engine is sans-IO).
 *
 * A plain string is always content, never a path, so that a typo in a path cannot be mistaken for a malformed
 * certificate; files are named explicitly with `{ path }`.
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import type { CryptoProvider } from "../crypto/provider.ts";
import { type CertifiedKey, type NamedPem, parseCertifiedKey } from "../tls/pki/certified_key.ts";
import { LoadError } from "../tls/pki/load_error.ts";
import { looksLikePem } from "../tls/pki/pem.ts";
import { TrustStore } from "../tls/pki/trust_store.ts";

/** PEM text, PEM or DER bytes, or `{ path }` of a file holding either. */
export type PemSource = string | Uint8Array | { readonly path: string };

/** A certificate chain (leaf first) and its private key (PKCS#8, SEC1 or PKCS#1), each from a {@link PemSource}. */
export interface CertifiedKeyInput {
  /** The chain, leaf first. */
  readonly cert: PemSource;
  /** The leaf's private key. */
  readonly key: PemSource;
}

/** Where the system bundle lives when SSL_CERT_FILE is not set (Debian, Ubuntu, Alpine, Arch). */
export const DEFAULT_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";

/** Reads a source. Throws LoadError "unreadable" for a missing file, "bad_pem" for a string that is not PEM. */
export async function readPemSource(source: PemSource, fallbackName: string): Promise<NamedPem> {
  if (typeof source === "string") {
    if (!looksLikePem(source)) {
      throw new LoadError("bad_pem", fallbackName, "the string is not PEM (to read a file, pass { path })");
    }
    return { data: source, name: fallbackName };
  }
  if (source instanceof Uint8Array) return { data: source, name: fallbackName };
  try {
    return { data: new Uint8Array(await readFile(source.path)), name: source.path };
  } catch (e) {
    const reason = (e as { code?: string }).code === "ENOENT" ? "no such file" : `cannot read it (${e})`;
    throw new LoadError("unreadable", source.path, reason, { cause: e });
  }
}

/** Reads, parses and cross-checks a chain and its key. Throws LoadError naming the file and the reason. */
export async function loadCertifiedKey(
  input: CertifiedKeyInput,
  provider: Pick<CryptoProvider, "importSigningKey" | "verify">,
): Promise<CertifiedKey> {
  const cert = await readPemSource(input.cert, "cert");
  const key = await readPemSource(input.key, "key");
  return await parseCertifiedKey({ cert, key }, provider);
}

/** A trust store from a PEM source; a file that cannot be read throws LoadError "unreadable". */
export async function loadTrustStore(source: PemSource, name = "trust store"): Promise<TrustStore> {
  const { data, name: sourceName } = await readPemSource(source, name);
  return TrustStore.fromPem(data, sourceName);
}

let systemStore: Promise<TrustStore> | undefined;

/**
 * The system trust store: SSL_CERT_FILE, else DEFAULT_CA_FILE. Loaded on first call and cached; a failed
 * load is not cached, so a later call can succeed once the file exists.
 */
export function systemTrustStore(): Promise<TrustStore> {
  if (!systemStore) {
    const path = process.env.SSL_CERT_FILE || DEFAULT_CA_FILE;
    systemStore = loadTrustStore({ path });
    systemStore.catch(() => {
      systemStore = undefined;
    });
  }
  return systemStore;
}
