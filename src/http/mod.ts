/**
 * The HTTP/1.1 layer: a sans-IO codec (RFC 9112), the server loop that serves a fetch-style handler
 * over any Duplex, and a small client. Everything else in src/http is internal to these.
 */
export {
  type CloseReason,
  type ConnectionStats,
  type HttpConnectionInfo,
  type HttpHandler,
  serveHttpConnection,
} from "./server_loop.ts";
export { type ClientOptions, HttpClientConnection, request } from "./client.ts";
export { HttpError, type HttpErrorName, HttpErrorStatus } from "./errors.ts";
export { defaultLimits, defaultTimeouts, type HttpLimits, type ServerOptions, type ServerTimeouts } from "./limits.ts";
export { type RequestEvent, type RequestHead, RequestParser, type TargetForm } from "./request_parser.ts";
export { type ResponseEvent, type ResponseHead, ResponseParser } from "./response_parser.ts";
export { ChunkedDecoder, encodeChunk, encodeLastChunk } from "./chunked.ts";
export type { BodyFraming } from "./framing.ts";
export type { Fields } from "./field_lines.ts";
