/**
 * (EC)DHE groups in the KEM shape of KeyExchange (draft-ietf-tls-ecdhe-mlkem §3 frames every group that way): the
 * client's share is a public key and it completes by agreeing; the server "encapsulates" by making its own key pair
 * and agreeing at once (RFC 8446 §4.2.8, §7.4).
 */
import type { GroupName, KeyExchange } from "./provider.ts";
import { settle } from "./settle.ts";

/** One ephemeral (EC)DH key pair. `agree` checks the peer's share and throws CryptoError when it is not valid. */
export interface DhKeyPair {
  readonly publicKey: Uint8Array;
  agree(peer: Uint8Array): Uint8Array;
}

/** A KeyExchange from a key pair generator; `check` refuses a malformed peer share before a key pair is made. */
export function dhExchange(
  group: GroupName,
  generate: () => DhKeyPair,
  check: (peer: Uint8Array) => void = () => {},
): KeyExchange {
  return {
    group,
    generate() {
      const pair = generate();
      return { group, publicKey: pair.publicKey, decapsulate: (share) => settle(() => pair.agree(share)) };
    },
    encapsulate: (share) =>
      settle(() => {
        check(share);
        const pair = generate();
        return { keyExchange: pair.publicKey, sharedSecret: pair.agree(share) };
      }),
  };
}
