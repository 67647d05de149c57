/**
 * The server's side of the opening handshake (RFC 6455 §4.2): reading the client's upgrade request from a
 * fetch `Request`, and the fields of our 101 answer. Sans-IO: headers in, a decision out.
 *
 * Refusals carry the status §4.2.1 and §4.4 name: 400 for a malformed upgrade request, 426 (with the
 * versions we speak) for a Sec-WebSocket-Version other than 13. A request that does not ask for WebSocket
 * at all is not refused here: it is "not an upgrade", and the app may serve it otherwise.
 */
import { createHash } from "node:crypto";

/** §1.3 and §4.2.2: the GUID appended to the key before hashing. */
const acceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** §4.2.2 item 5.4: Sec-WebSocket-Accept = base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + acceptGuid).digest("base64");
}

/** A valid upgrade request: what the 101 needs. */
export interface UpgradeRequest {
  /** The Sec-WebSocket-Key, as sent. */
  key: string;
  /** The subprotocols offered (Sec-WebSocket-Protocol), in the client's order of preference. */
  protocols: string[];
}

/** Why an upgrade request was refused, and the status to answer with. */
export interface HandshakeRefusal {
  status: 400 | 426;
  reason: string;
}

/** The outcome of reading a request: not an upgrade, a refusal, or an upgrade to answer with 101. */
export type HandshakeDecision =
  | { kind: "not_upgrade" }
  | { kind: "refused"; refusal: HandshakeRefusal }
  | { kind: "upgrade"; request: UpgradeRequest };

/** §4.2.1's checks, in its order. The Host field is the HTTP layer's (RFC 9112 §3.2 already requires it). */
export function readUpgradeRequest(request: Request): HandshakeDecision {
  const headers = request.headers;
  // §4.2.1 item 3: Upgrade contains "websocket" (case-insensitively). Without it, this is not our request.
  if (!tokens(headers.get("upgrade")).includes("websocket")) return { kind: "not_upgrade" };
  const refuse = (status: 400 | 426, reason: string): HandshakeDecision => ({
    kind: "refused",
    refusal: { status, reason },
  });
  // §4.2.1 item 1: an HTTP/1.1 GET (the version is checked where the 101 is written).
  if (request.method !== "GET") return refuse(400, `a WebSocket handshake is a GET, not ${request.method}`);
  // §4.2.1 item 4: Connection contains the "Upgrade" token.
  if (!tokens(headers.get("connection")).includes("upgrade")) return refuse(400, "Connection does not say Upgrade");
  // §4.2.1 item 5: Sec-WebSocket-Key is 16 bytes, base64 (24 characters), and only one.
  const key = headers.get("sec-websocket-key")?.trim() ?? "";
  if (!isKey(key)) return refuse(400, "Sec-WebSocket-Key is not 16 bytes in base64");
  // §4.2.1 item 6 and §4.4: version 13, or 426 saying which we speak.
  const version = headers.get("sec-websocket-version")?.trim();
  if (version !== "13") return refuse(426, `Sec-WebSocket-Version ${JSON.stringify(version ?? null)}; 13 is spoken`);
  // A GET carries no content (RFC 9110 §9.3.1), and nothing may sit between the head and the first frame.
  const length = headers.get("content-length");
  if (headers.has("transfer-encoding") || (length !== null && length.trim() !== "0")) {
    return refuse(400, "a WebSocket handshake has no body");
  }
  return { kind: "upgrade", request: { key, protocols: tokenList(headers.get("sec-websocket-protocol")) } };
}

/**
 * §4.2.2 item 5.4 (/subprotocol/): the first of `supported` (our preference) that the client offered; without a
 * `supported` list, the client's first choice, as Hono's adapters for Deno and Bun do. Null: none is selected,
 * and the 101 carries no Sec-WebSocket-Protocol (the client decides whether to go on).
 */
export function selectProtocol(offered: readonly string[], supported?: readonly string[]): string | null {
  if (supported === undefined) return offered[0] ?? null;
  return supported.find((p) => offered.includes(p)) ?? null;
}

/** The fields of the 101 (§4.2.2 item 5): no Sec-WebSocket-Extensions, since we accept none (§9.1). */
export function acceptFields(request: UpgradeRequest, protocol: string | null): [string, string][] {
  const fields: [string, string][] = [
    ["upgrade", "websocket"],
    ["connection", "Upgrade"],
    ["sec-websocket-accept", acceptKey(request.key)],
  ];
  if (protocol !== null) fields.push(["sec-websocket-protocol", protocol]);
  return fields;
}

/** The fields of a refusal: §4.4 asks a 426 to list the versions we speak. */
export function refusalFields(refusal: HandshakeRefusal): [string, string][] {
  const fields: [string, string][] = [["content-type", "text/plain; charset=utf-8"]];
  if (refusal.status === 426) fields.push(["sec-websocket-version", "13"]);
  return fields;
}

/** Lower-cased tokens of a comma-separated field value. */
function tokens(value: string | null): string[] {
  return tokenList(value).map((t) => t.toLowerCase());
}

function tokenList(value: string | null): string[] {
  if (value === null) return [];
  return value.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
}

/** §4.1 item 7: a base64 encoding of 16 bytes is 22 characters, then "==". */
function isKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(key);
}
