/**
 * Alerts (RFC 8446 §6) and the one error type the engine throws.
 *
 * Every failure has a name and maps to exactly one alert description; the error says whether we are
 * about to send it (`local`), the peer sent it (`remote`), or nothing goes on the wire (`internal`).
 */

import type { CryptoError } from "../crypto/errors.ts";

/** RFC 8446 §6, AlertDescription, plus the ones other RFCs add. Plain numbers so unknown values still print. */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/** An alert's RFC 8446 §6 name, e.g. "bad_certificate". */
export type AlertName = keyof typeof AlertDescription;

const namesByCode = new Map<number, AlertName>(
  Object.entries(AlertDescription).map(([name, code]) => [code, name as AlertName]),
);

/** The RFC 8446 §6 name of an alert code, e.g. "handshake_failure". */
export function alertName(code: number): string {
  return namesByCode.get(code) ?? `unknown_alert(${code})`;
}

/** Who the alert belongs to: sent by us, received from the peer, or a local failure that sends nothing. */
export type AlertSource = "local" | "remote";

/** A TLS alert (RFC 8446 §6): one we send (`source` "local"), or one the peer sent ("remote"). */
export class TlsAlert extends Error {
  /** The alert's code (AlertDescription). */
  readonly description: number;
  /** Whether we sent it ("local") or the peer did ("remote"). */
  readonly source: AlertSource;

  /** An alert by name or code, with a reason for the message. */
  constructor(description: AlertName | number, reason?: string, source: AlertSource = "local") {
    const code = typeof description === "number" ? description : AlertDescription[description];
    const name = alertName(code);
    const who = source === "remote" ? "peer sent" : "sending";
    super(reason ? `${who} ${name}: ${reason}` : `${who} ${name}`);
    this.name = "TlsAlert";
    this.description = code;
    this.source = source;
  }

  /** The alert's RFC name. */
  get alertName(): string {
    return alertName(this.description);
  }

  /** True for the alerts that end a connection cleanly (close_notify, user_canceled). */
  get isClosure(): boolean {
    return this.description === AlertDescription.close_notify ||
      this.description === AlertDescription.user_canceled;
  }
}

/**
 * The alert for a failure of the crypto layer, which throws its own CryptoError (it knows nothing of TLS):
 * a bad key share or public key is the peer's illegal_parameter (RFC 8446 §4.2.8, §7.4), malformed DER is
 * decode_error, and a key of ours that cannot sign is our own internal_error.
 */
export function alertForCryptoError(err: CryptoError): TlsAlert {
  const description: AlertName = err.code === "malformed_der"
    ? "decode_error"
    : err.code === "key_cannot_sign"
    ? "internal_error"
    : "illegal_parameter";
  return new TlsAlert(description, err.message);
}

/** A malformed message: `decode_error` per RFC 8446 §6.2 unless the caller names a more specific alert. */
export function decodeError(reason: string): TlsAlert {
  return new TlsAlert("decode_error", reason);
}
