/**
 * The client reading EncryptedExtensions (RFC 8446 §4.3.1): only answers to what we asked, each well formed.
 */
import { failure } from "../failures.ts";
import { ExtensionType as X } from "../wire/constants.ts";
import { decodeBody, type Extension } from "../wire/extensions/extension_list.ts";
import { decodeProtocolNames } from "../wire/extensions/alpn.ts";
import { decodeRecordSizeLimit } from "../wire/extensions/record_size_limit.ts";
import { decodeSupportedGroups } from "../wire/extensions/supported_groups.ts";
import { checkServerExtensions } from "./extension_rules.ts";

export interface ServerExtensions {
  alpn: string | null;
  /** The server's record_size_limit (RFC 8449), counting the content type byte; null when it sent none. */
  recordSizeLimit: number | null;
  /** Groups the server prefers, for later connections (RFC 8446 §4.2.7); informational only. */
  serverGroups: number[] | null;
  /** The server accepted our 0-RTT data (RFC 8446 §4.2.10); the caller checks that it could. */
  earlyData: boolean;
}

export function readEncryptedExtensions(
  extensions: readonly Extension[],
  sent: ReadonlySet<number>,
  alpnOffered: readonly string[],
): ServerExtensions {
  checkServerExtensions("EncryptedExtensions", extensions, sent);
  const out: ServerExtensions = { alpn: null, recordSizeLimit: null, serverGroups: null, earlyData: false };
  for (const ext of extensions) {
    switch (ext.type) {
      case X.server_name:
        // RFC 6066 §3: the server's answer is an empty extension_data.
        if (ext.data.length !== 0) {
          throw failure("extension_malformed", "server_name in EncryptedExtensions is not empty");
        }
        break;
      case X.application_layer_protocol_negotiation:
        out.alpn = readAlpn(ext, alpnOffered);
        break;
      case X.record_size_limit:
        out.recordSizeLimit = decodeBody(ext, decodeRecordSizeLimit);
        break;
      case X.supported_groups:
        out.serverGroups = decodeBody(ext, decodeSupportedGroups);
        break;
      case X.early_data:
        // RFC 8446 §4.2.10: in EncryptedExtensions the extension_data is empty.
        if (ext.data.length !== 0) {
          throw failure("extension_malformed", "early_data in EncryptedExtensions is not empty");
        }
        out.earlyData = true;
        break;
    }
  }
  return out;
}

/**
 * RFC 7301 §3.1: the server's list "MUST contain exactly one" protocol, and it must be one we offered (as Go and
 * rustls check; an answer we did not offer is illegal_parameter).
 */
function readAlpn(ext: Extension, offered: readonly string[]): string {
  const names = decodeBody(ext, decodeProtocolNames);
  if (names.length !== 1) throw failure("extension_malformed", `ALPN answer names ${names.length} protocols, not one`);
  if (!offered.includes(names[0])) {
    throw failure("alpn_not_offered", `the server chose "${names[0]}"`);
  }
  return names[0];
}
