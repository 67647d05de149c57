/**
 * OCSP stapling for certificates from files (ACME certificates get it from the manager): loads them into a
 * CertificateSet and keeps a verified, current staple on each whose leaf names a responder.
 *
 *   const stapled = await stapleCertificates([{ cert: { path: "chain.pem" }, key: { path: "key.pem" } }]);
 *   serve({ fetch, tls: { resolver: stapled.resolver } });
 *   ...
 *   stapled.stop();
 *
 * The chain file must hold the issuer after the leaf: the request names it and the response is checked with it.
 */
import { defaultProvider } from "../crypto/mod.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { type CertifiedKeyInput, loadCertifiedKey } from "../io/pki_files.ts";
import { CertificateSet } from "./certificate_set.ts";
import type { EventSink } from "./events.ts";
import { OcspStapler } from "./ocsp_stapler.ts";

/** Certificates loaded from files, with OCSP staples kept fresh: what `stapleCertificates()` returns. */
export interface StapledCertificates {
  /** For `serve({ tls: { resolver } })`: SNI picks among the certificates, the first is the default. */
  readonly resolver: CertificateSet;
  /** Stops refreshing (staples already in place stay until they would expire on the next refresh). */
  stop(): void;
}

/** Loads `inputs` and staples each; resolves once every first OCSP fetch has finished (or failed). */
export async function stapleCertificates(
  inputs: readonly CertifiedKeyInput[],
  options: { provider?: CryptoProvider; onEvent?: EventSink } = {},
): Promise<StapledCertificates> {
  const provider = options.provider ?? defaultProvider();
  const resolver = new CertificateSet();
  const keys = await Promise.all(inputs.map((i) => loadCertifiedKey(i, provider)));
  for (const key of keys) resolver.put(key);
  const stapler = new OcspStapler(resolver, { provider, onEvent: options.onEvent });
  await Promise.all(keys.map((k) => stapler.watch(k)));
  return { resolver, stop: () => stapler.stop() };
}
