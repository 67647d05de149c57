/**
 * Which extensions a server may answer with, and where (RFC 8446 §4.2), kept as data as picotls does.
 *
 * RFC 8446 §4.2: "If an implementation receives an extension which it recognizes and which is not specified for
 * the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert", and
 * "Implementations MUST NOT send extension responses if the remote endpoint did not send the corresponding
 * extension requests [...]. Upon receiving such an extension, an endpoint MUST abort the handshake with an
 * "unsupported_extension" alert." The one exception: "the "cookie" extension in the HelloRetryRequest".
 */
import { failure } from "../failures.ts";
import { extensionName, ExtensionType as X } from "../wire/constants.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";

/** The server's messages that carry extension responses. */
export type ServerMessage = "ServerHello" | "HelloRetryRequest" | "EncryptedExtensions" | "Certificate";

type Where = "CH" | "SH" | "HRR" | "EE" | "CT" | "CR" | "NST";

const messageCode: Record<ServerMessage, Where> = {
  ServerHello: "SH",
  HelloRetryRequest: "HRR",
  EncryptedExtensions: "EE",
  Certificate: "CT",
};

/** RFC 8446 §4.2 table (plus RFC 8449 record_size_limit): the TLS 1.3 messages each extension may appear in. */
const allowed = new Map<number, readonly Where[]>([
  [X.server_name, ["CH", "EE"]],
  [X.max_fragment_length, ["CH", "EE"]],
  [X.status_request, ["CH", "CR", "CT"]],
  [X.supported_groups, ["CH", "EE"]],
  [X.signature_algorithms, ["CH", "CR"]],
  [X.use_srtp, ["CH", "EE"]],
  [X.heartbeat, ["CH", "EE"]],
  [X.application_layer_protocol_negotiation, ["CH", "EE"]],
  [X.signed_certificate_timestamp, ["CH", "CR", "CT"]],
  [X.client_certificate_type, ["CH", "EE"]],
  [X.server_certificate_type, ["CH", "EE"]],
  [X.padding, ["CH"]],
  [X.record_size_limit, ["CH", "EE"]],
  [X.pre_shared_key, ["CH", "SH"]],
  [X.early_data, ["CH", "EE", "NST"]],
  [X.supported_versions, ["CH", "SH", "HRR"]],
  [X.cookie, ["CH", "HRR"]],
  [X.psk_key_exchange_modes, ["CH"]],
  [X.certificate_authorities, ["CH", "CR"]],
  [X.oid_filters, ["CR"]],
  [X.post_handshake_auth, ["CH"]],
  [X.signature_algorithms_cert, ["CH", "CR"]],
  [X.key_share, ["CH", "SH", "HRR"]],
]);

/**
 * Refuses an extension that `message` may not carry (illegal_parameter) or that answers nothing we sent
 * (unsupported_extension). Extensions we sent but do not know (GREASE, raw extras) are left to the caller.
 */
export function checkServerExtensions(
  message: ServerMessage,
  extensions: readonly Extension[],
  sent: ReadonlySet<number>,
) {
  const where = messageCode[message];
  for (const { type } of extensions) {
    const places = allowed.get(type);
    if (places && !places.includes(where)) {
      throw failure("extension_not_allowed", `${extensionName(type)} in ${message}`);
    }
    if (!sent.has(type) && !(type === X.cookie && where === "HRR")) {
      throw failure("extension_unsolicited", `${message} answers ${extensionName(type)}, which we did not send`);
    }
  }
}

export function findExtension(extensions: readonly Extension[], type: number): Extension | undefined {
  return extensions.find((e) => e.type === type);
}
