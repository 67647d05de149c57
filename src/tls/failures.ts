/**
 * Every way the engine refuses a peer, named once, with the alert the RFC names for it and the rule it
 * enforces (STYLE.md item 4; rustls keeps its errors the same way). A site throws by name,
 * `throw failure("finished_invalid", "client Finished does not verify")`, and the connection sends the
 * table's alert; a test reads `alert.failure` to know which rule fired, not only which alert went out.
 * `alertFor` is the one function that turns anything thrown while handling the peer's bytes into the alert
 * we send: our own failures, the crypto layer's CryptoError (it knows nothing of TLS) and, as a last resort,
 * internal_error for an exception nothing here names.
 *
 * Certificate path failures keep their own table (pki/certificate_error.ts): a CertificateError is a TlsAlert
 * whose `code` names the rule. API misuse is no alert at all: usage_error.ts.
 *
 * Section numbers are RFC 8446's unless another RFC is named.
 */
import { type AlertName, TlsAlert } from "./alert.ts";
import { CryptoError, type CryptoErrorCode } from "../crypto/errors.ts";

interface Rule {
  /** The alert we send. */
  readonly alert: AlertName;
  /** The RFC section and, in a few words, its rule. */
  readonly rfc: string;
}

/** Every refusal the engine makes, by name: the alert it sends and the rule of the RFC it enforces. */
export const failures = {
  // ----- records (§5) -----
  record_type_unknown: { alert: "unexpected_message", rfc: "§5: a record of a content type TLS does not define" },
  record_version_invalid: { alert: "decode_error", rfc: "§5.1: legacy_record_version is 0x03XX" },
  record_overflow: { alert: "record_overflow", rfc: "§5.1, §5.2: at most 2^14 (+256 protected) bytes a record" },
  record_too_short: { alert: "decode_error", rfc: "§5.2: a protected record holds a content type and a tag" },
  bad_record_mac: { alert: "bad_record_mac", rfc: "§5.2: the record does not authenticate under the read key" },
  inner_plaintext_overflow: { alert: "record_overflow", rfc: "§5.4: TLSInnerPlaintext of at most 2^14 + 1 bytes" },
  inner_type_missing: { alert: "unexpected_message", rfc: "§5.4: a plaintext of zeros only has no content type" },
  inner_type_unexpected: { alert: "unexpected_message", rfc: "§5: a protected record of a type not allowed there" },
  unprotected_after_keys: { alert: "unexpected_message", rfc: "§5.2: once keys are in use every record is protected" },
  record_interleaved: {
    alert: "unexpected_message",
    rfc: "§5.1: nothing between the fragments of a handshake message",
  },
  empty_handshake_record: { alert: "unexpected_message", rfc: "§5.1: no zero-length handshake fragments" },
  empty_alert_record: { alert: "unexpected_message", rfc: "§5.1: an alert record holds exactly one alert" },
  alert_malformed: { alert: "decode_error", rfc: "§6: an alert is two bytes, level and description" },
  too_many_empty_records: { alert: "unexpected_message", rfc: "§5.1: empty records, 32 in a row at most (BoringSSL)" },
  key_change_not_at_record_boundary: {
    alert: "unexpected_message",
    rfc: "§5.1: ClientHello, ServerHello, EndOfEarlyData, Finished and KeyUpdate end their record",
  },
  sequence_number_exhausted: { alert: "internal_error", rfc: "§5.3, §5.5: a key seals fewer than 2^64 records" },
  application_data_too_early: { alert: "unexpected_message", rfc: "§2: application data only under traffic keys" },
  early_data_not_accepted: { alert: "unexpected_message", rfc: "§4.2.10: early data only where it was accepted" },
  early_data_too_long: { alert: "unexpected_message", rfc: "§4.2.10: more early data than max_early_data_size" },
  change_cipher_spec_malformed: { alert: "unexpected_message", rfc: "§5: change_cipher_spec is the one byte 0x01" },
  change_cipher_spec_unexpected: {
    alert: "unexpected_message",
    rfc: "§5: change_cipher_spec only after the first ClientHello and before the peer's Finished",
  },
  change_cipher_spec_repeated: { alert: "unexpected_message", rfc: "§5, D.4: one change_cipher_spec a handshake" },

  // ----- handshake messages (§4) and their codecs (§3, §4.2) -----
  message_unexpected: { alert: "unexpected_message", rfc: "§4: a message the current state does not expect" },
  message_too_long: { alert: "decode_error", rfc: "§4: longer than the structure of its type allows" },
  message_over_limit: { alert: "decode_error", rfc: "§4: longer than this endpoint's configured limit" },
  decode_truncated: { alert: "decode_error", rfc: "§6.2: a message ends inside one of its fields" },
  decode_trailing_bytes: { alert: "decode_error", rfc: "§4: bytes after the end of a structure" },
  decode_vector_too_short: { alert: "decode_error", rfc: "§3: a vector shorter than its floor" },
  decode_odd_list: { alert: "decode_error", rfc: "§3: a list of 16-bit values of odd length" },
  field_out_of_range: { alert: "decode_error", rfc: "§6.2: a field outside its specified range" },
  extension_malformed: { alert: "decode_error", rfc: "§4.2: an extension body that is not what its type says" },
  extension_duplicate: { alert: "illegal_parameter", rfc: "§4.2: at most one extension of a type in a block" },
  extension_not_allowed: { alert: "illegal_parameter", rfc: "§4.2: an extension the message may not carry" },
  extension_unsolicited: { alert: "unsupported_extension", rfc: "§4.2: an answer to an extension we did not send" },
  extension_missing: { alert: "missing_extension", rfc: "§9.2: a mandatory extension is missing" },
  pre_shared_key_not_last: { alert: "illegal_parameter", rfc: "§4.2.11: pre_shared_key is the last extension" },
  psk_binder_count: { alert: "illegal_parameter", rfc: "§4.2.11: one binder per offered identity" },
  key_share_duplicate: { alert: "illegal_parameter", rfc: "§4.2.8: at most one share per group" },
  key_share_unsupported_group: {
    alert: "illegal_parameter",
    rfc: "§4.2.8: every share's group is in supported_groups",
  },
  server_name_repeated: { alert: "illegal_parameter", rfc: "RFC 6066 §3: one host_name in server_name" },
  record_size_limit_too_small: { alert: "illegal_parameter", rfc: "RFC 8449 §4: record_size_limit of at least 64" },
  key_update_invalid: { alert: "illegal_parameter", rfc: "§4.6.3: request_update is 0 or 1" },
  finished_length: { alert: "decode_error", rfc: "§4.4.4: verify_data is Hash.length bytes" },
  finished_invalid: { alert: "decrypt_error", rfc: "§4.4.4: verify_data does not match the transcript" },
  end_of_early_data_not_empty: { alert: "decode_error", rfc: "§4.5: EndOfEarlyData has an empty body" },

  // ----- the server reading a ClientHello (§4.1.2) and the client's flight -----
  client_hello_without_tls13: { alert: "protocol_version", rfc: "§4.2.1: supported_versions does not offer TLS 1.3" },
  client_hello_legacy_version: {
    alert: "protocol_version",
    rfc: "§4.1.2: a TLS 1.3 ClientHello sets legacy_version to 0x0303",
  },
  client_hello_compression: { alert: "illegal_parameter", rfc: "§4.1.2: legacy_compression_methods is exactly [0]" },
  no_common_cipher_suite: { alert: "handshake_failure", rfc: "§4.1.1: no cipher suite both sides support" },
  no_common_group: { alert: "handshake_failure", rfc: "§4.1.1: no key exchange group both sides support" },
  no_certificate_for_schemes: {
    alert: "handshake_failure",
    rfc: "§4.2.3: no certificate signs with a scheme the client accepts",
  },
  no_common_alpn: { alert: "no_application_protocol", rfc: "RFC 7301 §3.2: no protocol both sides support" },
  no_certificate_yet: { alert: "handshake_failure", rfc: "§4.4.2: the resolver holds no certificate (yet)" },
  acme_challenge_unknown: {
    alert: "no_application_protocol",
    rfc: "RFC 8737 §3: acme-tls/1 only for a name with a pending tls-alpn-01 challenge",
  },
  psk_binder_invalid: { alert: "decrypt_error", rfc: "§4.2.11: the PSK binder does not verify" },
  retry_cookie_missing: { alert: "missing_extension", rfc: "§4.2.2: the second ClientHello echoes the cookie" },
  retry_cookie_invalid: {
    alert: "illegal_parameter",
    rfc: "§4.2.2: a cookie this server did not issue, or a stale one",
  },
  retry_hello_changed: {
    alert: "illegal_parameter",
    rfc: "§4.1.2: the second ClientHello repeats the first but for what a retry changes",
  },
  retry_share_wrong: {
    alert: "illegal_parameter",
    rfc: "§4.1.4, §4.2.8: after a HelloRetryRequest, one share, for the group it named",
  },
  retry_early_data: { alert: "illegal_parameter", rfc: "§4.2.10: no early_data after a HelloRetryRequest" },
  client_certificate_required: {
    alert: "certificate_required",
    rfc: "§4.4.2.4: the server requires a certificate and got an empty one",
  },
  certificate_context_mismatch: {
    alert: "illegal_parameter",
    rfc: "§4.4.2: certificate_request_context echoes the request's",
  },
  certificate_unparsable: { alert: "bad_certificate", rfc: "§4.4.2: an end-entity certificate that does not parse" },
  certificate_verify_scheme: {
    alert: "illegal_parameter",
    rfc: "§4.4.3: CertificateVerify uses a scheme that was offered",
  },
  certificate_verify_invalid: { alert: "decrypt_error", rfc: "§4.4.3: the CertificateVerify signature is wrong" },
  post_handshake_unexpected: { alert: "unexpected_message", rfc: "§4.6: a post-handshake message not accepted here" },

  // ----- the client reading the server's flight (§4.1.3, §4.1.4, §4.3) -----
  server_hello_session_id: { alert: "illegal_parameter", rfc: "§4.1.3: legacy_session_id_echo is what we sent" },
  server_hello_suite: { alert: "illegal_parameter", rfc: "§4.1.3: a cipher suite we offered" },
  server_hello_compression: { alert: "illegal_parameter", rfc: "§4.1.3: legacy_compression_method is 0" },
  server_hello_legacy_version: { alert: "illegal_parameter", rfc: "§4.1.3: legacy_version is 0x0303" },
  server_hello_downgrade: { alert: "illegal_parameter", rfc: "§4.1.3: the downgrade sentinel in the random" },
  server_version_unsupported: { alert: "protocol_version", rfc: "§4.2.1: the server chose TLS 1.2 or below" },
  server_version_invalid: {
    alert: "illegal_parameter",
    rfc: "§4.2.1: supported_versions selects what we did not offer",
  },
  server_key_share_group: { alert: "illegal_parameter", rfc: "§4.2.8: the server's share is in a group we shared" },
  hello_retry_repeated: { alert: "unexpected_message", rfc: "§4.1.4: a second HelloRetryRequest" },
  hello_retry_suite_changed: {
    alert: "illegal_parameter",
    rfc: "§4.1.4: the ServerHello keeps the HelloRetryRequest's cipher suite",
  },
  hello_retry_group: {
    alert: "illegal_parameter",
    rfc: "§4.1.4: selected_group is in supported_groups and had no share",
  },
  hello_retry_group_unusable: { alert: "handshake_failure", rfc: "§4.1.4: selected_group that we cannot complete" },
  hello_retry_no_change: { alert: "illegal_parameter", rfc: "§4.1.4: a HelloRetryRequest that changes nothing" },
  psk_selection_invalid: {
    alert: "illegal_parameter",
    rfc: "§4.2.11: selected_identity is one we offered, under a suite of its hash",
  },
  early_data_acceptance_invalid: {
    alert: "illegal_parameter",
    rfc: "§4.2.10: early data accepted only for our first PSK, its suite and ALPN",
  },
  alpn_not_offered: { alert: "illegal_parameter", rfc: "RFC 7301 §3.2: the server chose a protocol we did not offer" },
  server_certificate_context: { alert: "illegal_parameter", rfc: "§4.4.2: a server's request context is empty" },
  server_certificate_empty: { alert: "decode_error", rfc: "§4.4.2.4: the server sent no certificate" },
  certificate_request_context: {
    alert: "illegal_parameter",
    rfc: "§4.3.2: a handshake CertificateRequest's context is empty",
  },
  post_handshake_auth_not_offered: {
    alert: "unexpected_message",
    rfc: "§4.6.2: a CertificateRequest, but we did not offer post_handshake_auth",
  },

  // ----- the crypto layer's errors (src/crypto/errors.ts), by code -----
  key_share_invalid: {
    alert: "illegal_parameter",
    rfc: "§4.2.8.2, §7.4: a share that is no public value of its group",
  },
  shared_secret_invalid: { alert: "illegal_parameter", rfc: "§7.4.2: a forbidden (EC)DHE result, e.g. all zeros" },
  public_key_invalid: { alert: "illegal_parameter", rfc: "§4.4.2: a certificate's public key that does not decode" },
  signature_scheme_unsupported: { alert: "illegal_parameter", rfc: "§4.2.3: a scheme that does not fit the key" },
  der_malformed: { alert: "decode_error", rfc: "§6.2: DER that does not parse" },
  signing_key_unusable: { alert: "internal_error", rfc: "§6.2: our own key cannot sign the chosen scheme" },

  // ----- ours -----
  aborted: { alert: "user_canceled", rfc: "§6.1: the application ends the connection" },
  internal: { alert: "internal_error", rfc: "§6.2: an error of ours that no rule above names" },
} as const satisfies Record<string, Rule>;

/** The name of a rule in `failures`, as a TlsAlert's `failure` carries it. */
export type FailureName = keyof typeof failures;

/** The TlsAlert for the rule `name`, with `detail` saying what exactly was wrong. */
export function failure(name: FailureName, detail?: string): TlsAlert {
  return new TlsAlert(failures[name].alert, detail, "local", name);
}

/** The crypto layer's error codes, each under the rule it breaks. */
const cryptoFailures: Record<CryptoErrorCode, FailureName> = {
  invalid_key_share: "key_share_invalid",
  invalid_shared_secret: "shared_secret_invalid",
  invalid_public_key: "public_key_invalid",
  unsupported_scheme: "signature_scheme_unsupported",
  malformed_der: "der_malformed",
  key_cannot_sign: "signing_key_unusable",
};

/** The alert that anything thrown while handling the peer's bytes comes to. */
export function alertFor(err: unknown): TlsAlert {
  if (err instanceof TlsAlert) return err;
  if (err instanceof CryptoError) return failure(cryptoFailures[err.code], err.message);
  return failure("internal", String((err as Error)?.message ?? err));
}

/**
 * Whether `err` is a refusal the peer caused (our alert or the crypto layer's verdict on its input), as
 * opposed to a bug: code that catches a verdict to report it (a certificate refused after the handshake)
 * must let anything else through.
 */
export function isRefusal(err: unknown): err is TlsAlert | CryptoError {
  return err instanceof TlsAlert || err instanceof CryptoError;
}
