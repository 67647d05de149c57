/**
 * ACME Renewal Information (RFC 9773): the CA may ask for a certificate to be renewed earlier than we would
 * (a mass revocation, a shortened lifetime). The manager asks after each issuance and again every few hours,
 * and renews at the earlier of its own schedule and a time chosen in the CA's suggested window.
 */
import { fromHex, toBase64Url } from "../bytes.ts";
import type { CaSource } from "../io/tls_connect.ts";
import type { Certificate } from "../tls/pki/certificate.ts";
import { httpFetch } from "./http_fetch.ts";

/** RFC 9773 §4.1: base64url(authorityKeyIdentifier keyIdentifier) "." base64url(serial INTEGER content octets). */
export function ariCertId(leaf: Certificate): string | null {
  if (!leaf.authorityKeyId) return null;
  const serial = fromHex(leaf.serial);
  const content = serial[0] & 0x80 ? Uint8Array.of(0, ...serial) : serial;
  return `${toBase64Url(leaf.authorityKeyId)}.${toBase64Url(content)}`;
}

/**
 * The time (ms since the epoch) the CA suggests renewing `leaf` at, chosen uniformly in its window (RFC 9773
 * §4.2), or null when the CA has no renewalInfo or no usable answer.
 */
export async function suggestedRenewal(
  directoryUrl: string,
  leaf: Certificate,
  ca?: CaSource | readonly CaSource[],
): Promise<number | null> {
  const id = ariCertId(leaf);
  if (!id) return null;
  const directory = await getJson(directoryUrl, ca);
  const base = typeof directory?.renewalInfo === "string" ? directory.renewalInfo : null;
  if (!base) return null;
  const info = await getJson(`${base.replace(/\/$/, "")}/${id}`, ca);
  const start = Date.parse(info?.suggestedWindow?.start);
  const end = Date.parse(info?.suggestedWindow?.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return null;
  return start + Math.random() * (end - start);
}

// deno-lint-ignore no-explicit-any
async function getJson(url: string, ca?: CaSource | readonly CaSource[]): Promise<any> {
  const r = await httpFetch(url, { ca, timeout: 10_000, maxBodySize: 64 * 1024 });
  if (r.status !== 200) return null;
  try {
    return JSON.parse(new TextDecoder().decode(r.body));
  } catch {
    return null;
  }
}
