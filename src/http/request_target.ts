/** Reconstructing the target URI of a request (RFC 9112 §3.3), which becomes `Request.url`. */
import type { NetAddr } from "../net/duplex.ts";
import { HttpError } from "./errors.ts";
import type { RequestHead } from "./request_parser.ts";

/** The local address as an authority, for requests without a usable Host (HTTP/1.0). */
export function addrAuthority(addr: NetAddr): string {
  return addr.family === "IPv6" ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
}

/**
 * A path and query that the WHATWG URL parser would leave exactly as they are: only characters outside
 * its percent-encode sets (no `'`, which it encodes in the query of http(s) URLs, no `\`, which it turns
 * into `/`), and no dot segment, plain or percent-encoded, for it to remove.
 */
const plainTarget = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
const dotSegment = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i;

/**
 * A host the URL parser would leave as it is: lower case letters, digits, dots and hyphens; not an IPv4
 * address in any form but the canonical dotted quad (it would rewrite `0x7f.1` or `127.1`); no IDNA
 * label; a port without leading zeros that is not the scheme's default (which it drops).
 */
const plainHost = /^([a-z0-9.-]+?)(?::([1-9][0-9]{0,4}))?$/;
const canonicalIpv4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const numericLabel = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)\.?$/;

function isPlainAuthority(authority: string, scheme: "https" | "http"): boolean {
  const match = plainHost.exec(authority);
  if (match === null) return false;
  const [, host, port] = match;
  if (port !== undefined && (Number(port) > 65535 || port === (scheme === "https" ? "443" : "80"))) return false;
  if (host.startsWith("xn--") || host.includes(".xn--")) return false;
  return canonicalIpv4.test(host) || (!numericLabel.test(host) && !host.startsWith(".") && !host.includes(".."));
}

/**
 * RFC 9112 §3.3: absolute-form is the target URI itself (its Host field is ignored, §3.2.2); otherwise
 * the URI is scheme "://" authority target, the authority from Host, or from our own address when Host
 * is absent or empty. The string is concatenated, never resolved against a base, so that a target such
 * as "//other.example/" stays a path on this host.
 *
 * The result is what `new URL(...).href` gives. For the common case (a plain host and an origin-form
 * path the parser already validated) that is the concatenation itself, so no URL is parsed.
 *
 * asterisk-form ("OPTIONS *") has no path to give a URL; handlers see it as the path "/*".
 */
export function targetUri(head: RequestHead, scheme: "https" | "http", localAddr: NetAddr): string {
  if (head.targetForm === "origin" && head.host && plainTarget.test(head.target) && !dotSegment.test(head.target)) {
    if (isPlainAuthority(head.host, scheme)) return `${scheme}://${head.host}${head.target}`;
  }
  let url: URL;
  try {
    if (head.targetForm === "absolute") {
      url = new URL(head.target);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(url.protocol);
    } else {
      const authority = head.host || addrAuthority(localAddr);
      const path = head.targetForm === "asterisk" ? "/*" : head.target;
      url = new URL(`${scheme}://${authority}${path}`);
    }
  } catch {
    throw new HttpError("bad_request_target", `no URL from ${JSON.stringify(head.target.slice(0, 64))}`);
  }
  return url.href;
}
