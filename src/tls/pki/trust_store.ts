/**
 * Trust anchors: the certificates a chain must end at (RFC 5280 §6.1.1 (d)).
 *
 * A store is made from a PEM bundle (text or bytes) or from DER certificates; reading files, the system bundle
 * included, is src/io/pki_files.ts's job. The bundle is only decoded the first time a chain is verified against it.
 */
import { bytesEqual } from "../../bytes.ts";
import { DerError } from "./der.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import { LoadError } from "./load_error.ts";
import { decodePem, PemError } from "./pem.ts";

/** A set of trust anchors, indexed by subject name for chain building. */
export class TrustStore {
  #pending: { data: string | Uint8Array; name: string } | undefined;
  #anchors: Certificate[] = [];
  #bySubject = new Map<string, Certificate[]>();
  #skipped = 0;
  #error: LoadError | undefined;

  private constructor(pending: { data: string | Uint8Array; name: string } | undefined, ders: Uint8Array[]) {
    this.#pending = pending;
    for (const der of ders) this.#add(parseCertificate(der));
  }

  /** A store over a PEM bundle, decoded lazily. Certificates in it that do not parse are skipped. */
  static fromPem(pem: string | Uint8Array, name = "trust store"): TrustStore {
    return new TrustStore({ data: pem, name }, []);
  }

  /** A store over DER certificates, parsed now: one that does not parse throws LoadError "bad_certificate". */
  static fromDer(certificates: readonly Uint8Array[], name = "trust anchors"): TrustStore {
    try {
      return new TrustStore(undefined, [...certificates]);
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      throw new LoadError("bad_certificate", name, `a trust anchor is not valid X.509 (${e.message})`, { cause: e });
    }
  }

  /** Every anchor. */
  get anchors(): readonly Certificate[] {
    this.#decode();
    return this.#anchors;
  }

  /** How many PEM blocks were skipped because they did not parse as certificates. */
  get skipped(): number {
    this.#decode();
    return this.#skipped;
  }

  /** Anchors whose subject name is `nameKey` (a DistinguishedName.key). */
  bySubject(nameKey: string): readonly Certificate[] {
    this.#decode();
    return this.#bySubject.get(nameKey) ?? [];
  }

  /** True when `der` is, byte for byte, one of the anchors. */
  contains(cert: Certificate): boolean {
    return this.bySubject(cert.subject.key).some((a) => bytesEqual(a.der, cert.der));
  }

  #add(cert: Certificate): void {
    if (this.#bySubject.get(cert.subject.key)?.some((a) => bytesEqual(a.der, cert.der))) return;
    this.#anchors.push(cert);
    const list = this.#bySubject.get(cert.subject.key) ?? [];
    list.push(cert);
    this.#bySubject.set(cert.subject.key, list);
  }

  /** Decodes the bundle on first use; a bundle that cannot be used keeps failing with the same error. */
  #decode(): void {
    if (this.#error) throw this.#error;
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    try {
      this.#decodeBundle(pending.data, pending.name);
    } catch (e) {
      if (e instanceof LoadError) this.#error = e;
      throw e;
    }
  }

  #decodeBundle(data: string | Uint8Array, name: string): void {
    let blocks;
    try {
      blocks = decodePem(data);
    } catch (e) {
      if (e instanceof PemError) throw new LoadError("bad_pem", name, e.message, { cause: e });
      throw e;
    }
    for (const block of blocks) {
      // Bundles such as OpenSSL's carry "TRUSTED CERTIFICATE" blocks too; those have trailing trust settings.
      if (block.label !== "CERTIFICATE") continue;
      try {
        this.#add(parseCertificate(block.der));
      } catch (e) {
        if (!(e instanceof DerError)) throw e;
        this.#skipped++;
      }
    }
    if (this.#anchors.length === 0) {
      throw new LoadError("no_certificate", name, "the trust store holds no usable CERTIFICATE block");
    }
  }
}
