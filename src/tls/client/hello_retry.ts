/**
 * The client's side of HelloRetryRequest (RFC 8446 §4.1.4): what a HelloRetryRequest may ask for, and the
 * transcript that restarts from it (§4.4.1).
 */
import { failure } from "../failures.ts";
import type { GroupName, Hash } from "../../crypto/provider.ts";
import type { SuiteParams } from "../cipher_suite.ts";
import { ExtensionType as X, groupName, HandshakeType } from "../wire/constants.ts";
import { decodeBody } from "../wire/extensions/extension_list.ts";
import { decodeCookie } from "../wire/extensions/cookie.ts";
import { decodeHelloRetryKeyShare } from "../wire/extensions/key_share.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import type { ServerHello } from "../wire/server_hello.ts";
import { groupCodes } from "./client_config.ts";
import { findExtension } from "./extension_rules.ts";

export interface RetryRequest {
  suite: SuiteParams;
  /** The group to send a share for; null when the server only wants the cookie back. */
  group: GroupName | null;
  cookie: Uint8Array | null;
}

export interface RetryOffer {
  /** Groups in our supported_groups that we can complete (RFC 8446 §4.2.7). */
  groups: readonly GroupName[];
  /** NamedGroup codes we advertised in supported_groups. */
  advertised: readonly number[];
  /** Groups we already sent a share for. */
  shared: readonly GroupName[];
}

/**
 * RFC 8446 §4.1.4: the selected_group "MUST be in the "supported_groups" extension in the original
 * ClientHello", and "MUST NOT correspond to a group which was provided in the "key_share" extension in the
 * original ClientHello. If either of these checks fails, then the client MUST abort the handshake with an
 * "illegal_parameter" alert." A HelloRetryRequest that "would not result in any change in the ClientHello" is
 * illegal_parameter too.
 */
export function readHelloRetryRequest(hrr: ServerHello, suite: SuiteParams, offer: RetryOffer): RetryRequest {
  const ks = findExtension(hrr.extensions, X.key_share);
  const ck = findExtension(hrr.extensions, X.cookie);
  let group: GroupName | null = null;
  if (ks) {
    const code = decodeBody(ks, decodeHelloRetryKeyShare);
    if (!offer.advertised.includes(code)) {
      throw failure("hello_retry_group", `HelloRetryRequest asks for ${groupName(code)}, not in supported_groups`);
    }
    const name = (Object.keys(groupCodes) as GroupName[]).find((g) => groupCodes[g] === code);
    if (name && offer.shared.includes(name)) {
      throw failure("hello_retry_group", `HelloRetryRequest asks for ${name}, which we already sent a share for`);
    }
    // A group we advertise without having it: only when a test advertises extra code points.
    if (!name || !offer.groups.includes(name)) {
      throw failure("hello_retry_group_unusable", `HelloRetryRequest asks for ${groupName(code)}`);
    }
    group = name;
  }
  const cookie = ck ? decodeBody(ck, decodeCookie) : null;
  if (group === null && cookie === null) {
    throw failure("hello_retry_no_change");
  }
  return { suite, group, cookie };
}

/**
 * RFC 8446 §4.4.1: after a HelloRetryRequest the transcript starts with a synthetic message_hash message
 * holding Hash(ClientHello1), then the HelloRetryRequest, then everything else.
 */
export function retryTranscriptPrefix(hash: Hash, firstHello: Uint8Array, hrr: Uint8Array): Uint8Array[] {
  return [encodeHandshake(HandshakeType.message_hash, hash.hash(firstHello)), hrr];
}
