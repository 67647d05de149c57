/**
 * The one error type of the HTTP/1.1 codec and server loop.
 *
 * Every failure has a name, and this table maps each name to the status we answer with (h11's
 * `RemoteProtocolError` carries its status the same way). After any of these the connection is not
 * reused: the framing of whatever follows can no longer be trusted, so the loop writes the error
 * response with `Connection: close`, half-closes and closes.
 */

export const HttpErrorStatus = {
  // 400: RFC 9112 §3, §5, §6 and RFC 9110 §5 grammar violations.
  bad_request_line: 400,
  bad_request_target: 400,
  bad_version: 400,
  bad_field_name: 400,
  bad_field_value: 400,
  bare_line_feed: 400,
  obs_fold: 400,
  missing_host: 400,
  duplicate_host: 400,
  bad_host: 400,
  bad_content_length: 400,
  conflicting_content_length: 400,
  content_length_with_transfer_encoding: 400,
  bad_transfer_encoding: 400,
  chunked_not_final: 400,
  chunked_twice: 400,
  transfer_encoding_in_http10: 400,
  bad_chunk_size: 400,
  chunk_line_too_long: 400,
  missing_chunk_crlf: 400,
  truncated_message: 400,
  // 408: RFC 9110 §15.5.9, the head or body did not arrive in time.
  request_timeout: 408,
  // 413 / 414 / 431: limits (RFC 9110 §15.5.14, §15.5.15; RFC 6585 §5).
  content_too_large: 413,
  uri_too_long: 414,
  header_too_large: 431,
  // 417: RFC 9110 §10.1.1, an expectation we do not implement.
  expectation_failed: 417,
  // 500: the handler failed or gave back something that is not a Response.
  handler_failed: 500,
  // 501: RFC 9112 §6.1, a transfer coding we do not implement; methods a fetch Request cannot carry.
  unknown_transfer_coding: 501,
  method_not_implemented: 501,
  // 505: RFC 9110 §15.6.6, a major version other than 1.
  version_not_supported: 505,
} as const;

export type HttpErrorName = keyof typeof HttpErrorStatus;

/** Reason phrases for the statuses this module writes itself, and the common ones a handler returns. */
export const reasonPhrases: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

export class HttpError extends Error {
  /** The failure's name in `HttpErrorStatus`. */
  readonly code: HttpErrorName;
  /** The status to answer with (meaningless when a client parses a response, kept for the message). */
  readonly status: number;

  constructor(code: HttpErrorName, detail?: string) {
    const status = HttpErrorStatus[code];
    super(detail ? `${status} ${code}: ${detail}` : `${status} ${code}`);
    this.name = "HttpError";
    this.code = code;
    this.status = status;
  }
}
