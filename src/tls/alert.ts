/**
 * Alerts (RFC 8446 §6) and the error that carries one.
 *
 * A `TlsAlert` is either one we send (`source` "local": a rule of failures.ts fired, named in `failure`) or
 * one the peer sent ("remote"). Misuse of the API (sending before the handshake, bad options) is not an
 * alert and never reaches the wire: that is a `TlsUsageError` (usage_error.ts).
 */
import type { FailureName } from "./failures.ts";

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

/** Who the alert belongs to: we send it ("local") or the peer sent it ("remote"). */
export type AlertSource = "local" | "remote";

/** A TLS alert (RFC 8446 §6): one we send (`source` "local"), or one the peer sent ("remote"). */
export class TlsAlert extends Error {
  /** The alert's code (AlertDescription). */
  readonly description: number;
  /** Whether we sent it ("local") or the peer did ("remote"). */
  readonly source: AlertSource;
  /**
   * The rule that fired (failures.ts), for an alert we send. Null when the peer sent the alert, and for a
   * CertificateError, whose `code` names the certificate rule instead (pki/certificate_error.ts).
   */
  readonly failure: FailureName | null;

  /** An alert by name or code, with a reason for the message and, for ours, the rule that fired. */
  constructor(
    description: AlertName | number,
    reason?: string,
    source: AlertSource = "local",
    failure: FailureName | null = null,
  ) {
    const code = typeof description === "number" ? description : AlertDescription[description];
    const name = alertName(code);
    const who = source === "remote" ? "peer sent" : "sending";
    super(reason ? `${who} ${name}: ${reason}` : `${who} ${name}`);
    this.name = "TlsAlert";
    this.description = code;
    this.source = source;
    this.failure = failure;
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
