/** Reconstructing the target URI of a request (RFC 9112 §3.3), which becomes `Request.url`. */
import type { NetAddr } from "../transport/types.ts";
import { HttpError } from "./errors.ts";
import type { RequestHead } from "./request_parser.ts";

/** The local address as an authority, for requests without a usable Host (HTTP/1.0). */
export function addrAuthority(addr: NetAddr): string {
  return addr.family === "IPv6" ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
}

/**
 * RFC 9112 §3.3: absolute-form is the target URI itself (its Host field is ignored, §3.2.2); otherwise
 * the URI is scheme "://" authority target, the authority from Host, or from our own address when Host
 * is absent or empty. The string is concatenated, never resolved against a base, so that a target such
 * as "//other.example/" stays a path on this host.
 *
 * asterisk-form ("OPTIONS *") has no path to give a URL; handlers see it as the path "/*".
 */
export function targetUri(head: RequestHead, scheme: "https" | "http", localAddr: NetAddr): string {
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
