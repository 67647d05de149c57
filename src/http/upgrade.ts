/**
 * Switching protocols (RFC 9110 §7.8, §15.2.2): how a fetch handler hands its connection over to another
 * protocol (WebSocket, src/ws/), and the one hook the server loop has for it.
 *
 * A handler cannot simply return a 101: Node's `Response` refuses statuses under 200, and what a handler
 * returns may be copied on its way out (Hono copies `c.res` when a middleware has touched it). So the handler
 * claims the switch on its `Request`, which reaches it unchanged, and answers with a placeholder Response:
 * status 200, no body, an Upgrade field naming the protocol. The loop switches when the request carries a
 * claim and the final response is still that placeholder or a copy of it (a copy keeps all three); a response
 * that replaced it (a guard's 403, an error) goes out as usual, and the claim is forgotten. Hono carries the
 * old response's fields into the one that replaces it, so the Upgrade field alone would not tell. After the
 * 101 the connection belongs to the claim's `run`.
 */
import type { Duplex } from "../net/duplex.ts";
import type { Fields } from "./field_lines.ts";
import { httpDate, serializeResponseHead } from "./response_writer.ts";

/** A handler's claim on its connection, made with `claimProtocolSwitch()`. */
export interface ProtocolSwitch {
  /** The Upgrade token of the protocol (RFC 9110 §7.8), e.g. "websocket". */
  readonly protocol: string;
  /**
   * Runs the protocol over `conn` once the 101 is out. `buffered` holds the bytes that arrived after the
   * request (they belong to the new protocol); `signal` aborts when the server shuts down. Resolves once
   * it has closed `conn`; it must not reject.
   */
  run(conn: Duplex, buffered: Uint8Array, signal: AbortSignal | undefined): Promise<void>;
}

const claims = new WeakMap<Request, ProtocolSwitch>();

/** Claims `request`'s connection for `protocolSwitch`; the handler then answers with `upgradeResponse`. */
export function claimProtocolSwitch(request: Request, protocolSwitch: ProtocolSwitch): void {
  claims.set(request, protocolSwitch);
}

/** The placeholder a handler returns after claiming: status 200 as far as fetch is concerned, never sent. */
export function upgradeResponse(protocol: string, fields: Iterable<[string, string]>): Response {
  const headers = new Headers(fields as [string, string][]);
  headers.set("upgrade", protocol);
  headers.set("connection", "Upgrade");
  return new Response(null, { headers });
}

/** The switch `request` claimed, if `response` is still the placeholder (or a copy); null otherwise. */
export function claimedSwitch(request: Request, response: Response): ProtocolSwitch | null {
  const claim = claims.get(request);
  if (claim === undefined) return null;
  claims.delete(request);
  if (response.status !== 200 || response.body !== null) return null;
  const upgrade = response.headers.get("upgrade")?.toLowerCase();
  return upgrade === claim.protocol.toLowerCase() ? claim : null;
}

/** Fields of the placeholder that describe a body or this hop, rewritten or dropped in the 101. */
const notIn101 = new Set([
  "connection",
  "upgrade",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "content-type",
]);

/**
 * The 101 head (RFC 9110 §15.2.2): Upgrade and Connection, then the response's other fields (the protocol's
 * own, such as Sec-WebSocket-Accept, and whatever middleware added, cookies included), then Date.
 */
export function switchingProtocolsHead(protocol: string, response: Response): Uint8Array {
  const fields: Fields = [["upgrade", protocol], ["connection", "Upgrade"]];
  for (const [name, value] of response.headers) {
    if (name === "set-cookie" || notIn101.has(name)) continue;
    fields.push([name, value]);
  }
  for (const cookie of response.headers.getSetCookie()) fields.push(["set-cookie", cookie]);
  if (!response.headers.has("date")) fields.push(["date", httpDate()]);
  return serializeResponseHead(101, "", fields);
}
