/**
 * Host name checks of RFC 9525 (which obsoletes RFC 6125): does a certificate's subjectAltName cover the name
 * the client asked for?
 *
 * - Only subjectAltName counts; the subject's Common Name is never consulted (RFC 9525 §6.3, §2).
 * - A DNS name matches a dNSName entry, ASCII case-insensitively (§6.3), one trailing dot ignored.
 * - A wildcard is only the whole leftmost label ("*.example.com") and stands for exactly one label (§6.3);
 *   partial wildcards such as "f*.example.com" never match.
 * - An IP literal matches iPAddress entries only, byte for byte, and never a dNSName (§6.2, §6.3).
 */

export interface HostIdentities {
  /** dNSName entries. */
  readonly dns: readonly string[];
  /** iPAddress entries (4 or 16 bytes). */
  readonly ip: readonly Uint8Array[];
}

/** True when `identities` cover `host` (a DNS name, or an IPv4/IPv6 literal, with or without brackets). */
export function matchesHostname(identities: HostIdentities, host: string): boolean {
  const address = parseIpAddress(host);
  if (address) return identities.ip.some((entry) => sameAddress(entry, address));
  const name = normalizeDnsName(host);
  if (name === null) return false;
  return identities.dns.some((pattern) => matchesDnsName(pattern, name));
}

/**
 * Lowercases `host`, drops one trailing dot, and turns Unicode labels into A-labels (RFC 5890) so that they
 * compare with certificates, which only hold A-labels. Returns null for something that is not a host name.
 */
export function normalizeDnsName(host: string): string | null {
  let name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (/[^ -~]/.test(name)) {
    try {
      name = new URL(`http://${name}/`).hostname;
    } catch {
      return null;
    }
  }
  name = name.toLowerCase();
  // RFC 1035 §2.3.1 letter-digit-hyphen labels, plus "_" which appears in real names; no empty labels.
  if (name.length === 0 || name.length > 253) return null;
  if (!name.split(".").every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) return null;
  return name;
}

/** Matches one dNSName entry (possibly a wildcard) against an already normalized host name. */
export function matchesDnsName(pattern: string, normalizedHost: string): boolean {
  let p = pattern.endsWith(".") ? pattern.slice(0, -1) : pattern;
  p = p.toLowerCase();
  if (!p.startsWith("*.")) {
    return !p.includes("*") && p === normalizedHost;
  }
  const suffix = p.slice(2);
  // RFC 9525 §6.3: only the complete leftmost label may be "*". We also refuse "*.tld", which would cover a
  // whole top-level domain: at least two labels must follow the wildcard.
  if (suffix.includes("*") || !suffix.includes(".")) return false;
  const dot = normalizedHost.indexOf(".");
  if (dot <= 0) return false;
  return normalizedHost.slice(dot + 1) === suffix;
}

/**
 * Parses an IPv4 dotted-quad or an IPv6 literal (RFC 4291 §2.2, optionally in brackets) into 4 or 16 bytes.
 * Anything else, including IPv4 shorthands like "127.1" and zone IDs, is not an address: null.
 */
export function parseIpAddress(text: string): Uint8Array | null {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  if (s.includes(":")) return parseIpv6(s);
  return parseIpv4(s);
}

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Decimal only, no leading zeros: "010" would be octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
  const groups: number[] = [];
  const all = [...head, ...tail];
  // An embedded IPv4 address may end the literal ("::ffff:192.0.2.1").
  const last = all[all.length - 1];
  let v4: Uint8Array | null = null;
  if (last !== undefined && last.includes(".")) {
    v4 = parseIpv4(last);
    if (!v4) return null;
    if (tail.length) tail.pop();
    else head.pop();
  }
  const words = (list: string[]) => list.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
  if (!words(head) || !words(tail)) return null;
  const wanted = v4 ? 6 : 8;
  const present = head.length + tail.length;
  if (halves.length === 1 ? present !== wanted : present >= wanted) return null;
  groups.push(...head.map((g) => parseInt(g, 16)));
  for (let i = present; i < wanted; i++) groups.push(0);
  groups.push(...tail.map((g) => parseInt(g, 16)));
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Text form of a 4- or 16-byte address; IPv6 in the RFC 5952 canonical form (lowercase, longest "::"). */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) return `<${bytes.length}-byte address>`;
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    // RFC 5952 §4.2.2: "::" never replaces a single zero group.
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
