/**
 * Fields that describe one hop's connection or a message's framing rather than its content (RFC 9110
 * §7.6.1: Connection and the fields it names, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding,
 * Upgrade; RFC 9112 §6: Content-Length; RFC 9110 §6.6.2: Trailer). Neither our server nor our client lets
 * an application set them: each writes them from what it actually sends (server: response_writer.ts;
 * client: request_writer.ts, which also writes Host itself).
 */
export const hopByHopFields: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
