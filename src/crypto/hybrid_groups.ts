/**
 * The hybrid post-quantum groups of draft-ietf-tls-ecdhe-mlkem (§3, §4): an ECDHE share and an ML-KEM share
 * concatenated, both on the wire and in the shared secret, in a fixed order per group. X25519MLKEM768 puts ML-KEM
 * first (ek‖x25519, ct‖x25519, ss_mlkem‖ss_x25519); SecP256r1MLKEM768 and SecP384r1MLKEM1024 put ECDH first.
 * Each half keeps its own checks: the ECDH share's (RFC 8446 §4.2.8.2, §7.4.2) and ML-KEM's (FIPS 203 §7.2 on the
 * server, the ciphertext length on the client), any failure being illegal_parameter.
 */
import { checkLength } from "./key_share_checks.ts";
import type { MlKem } from "./ml_kem.ts";
import type { GroupName, KeyExchange } from "./provider.ts";

export type HybridGroupName = "X25519MLKEM768" | "SecP256r1MLKEM768" | "SecP384r1MLKEM1024";

interface Layout {
  readonly ecdh: GroupName;
  readonly kem: "ML-KEM-768" | "ML-KEM-1024";
  /** The ECDH share's length, the same from client and server (raw X25519, or an uncompressed point). */
  readonly ecdhShareLength: number;
  readonly kemFirst: boolean;
}

/** draft-ietf-tls-ecdhe-mlkem §3 and its IANA table. */
export const hybridLayouts: Readonly<Record<HybridGroupName, Layout>> = {
  X25519MLKEM768: { ecdh: "x25519", kem: "ML-KEM-768", ecdhShareLength: 32, kemFirst: true },
  SecP256r1MLKEM768: { ecdh: "secp256r1", kem: "ML-KEM-768", ecdhShareLength: 65, kemFirst: false },
  SecP384r1MLKEM1024: { ecdh: "secp384r1", kem: "ML-KEM-1024", ecdhShareLength: 97, kemFirst: false },
};

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A hybrid group from an ECDHE exchange and an ML-KEM, laid out as `group` says. */
export function hybridExchange(group: HybridGroupName, ecdh: KeyExchange, kem: MlKem): KeyExchange {
  const { kemFirst, ecdhShareLength } = hybridLayouts[group];
  /** Puts the KEM part and the ECDH part in the group's order. */
  const order = (kemPart: Uint8Array, ecdhPart: Uint8Array) =>
    kemFirst ? join(kemPart, ecdhPart) : join(ecdhPart, kemPart);
  /** Splits a share whose KEM part is `kemLength` bytes into [kem, ecdh]. */
  const split = (share: Uint8Array, kemLength: number): [Uint8Array, Uint8Array] =>
    kemFirst
      ? [share.subarray(0, kemLength), share.subarray(kemLength)]
      : [share.subarray(ecdhShareLength), share.subarray(0, ecdhShareLength)];

  return {
    group,
    generate() {
      const classical = ecdh.generate();
      const pq = kem.keygen();
      return {
        group,
        publicKey: order(pq.encapsulationKey, classical.publicKey),
        async decapsulate(serverShare) {
          checkLength(serverShare, kem.ciphertextLength + ecdhShareLength, `${group} server share`);
          const [ciphertext, ecdhShare] = split(serverShare, kem.ciphertextLength);
          const ecdhSecret = await classical.decapsulate(ecdhShare);
          return order(await pq.decapsulate(ciphertext), ecdhSecret);
        },
      };
    },
    async encapsulate(clientShare) {
      checkLength(clientShare, kem.encapsulationKeyLength + ecdhShareLength, `${group} client share`);
      const [encapsulationKey, ecdhShare] = split(clientShare, kem.encapsulationKeyLength);
      const classical = await ecdh.encapsulate(ecdhShare);
      const { ciphertext, sharedSecret } = await kem.encapsulate(encapsulationKey);
      return {
        keyExchange: order(ciphertext, classical.keyExchange),
        sharedSecret: order(sharedSecret, classical.sharedSecret),
      };
    },
  };
}
