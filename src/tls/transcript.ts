/**
 * The handshake transcript (RFC 8446 §4.4.1) over the provider's running hash, keeping the digest of the current
 * point until the next message arrives: key-schedule steps often hash the same prefix twice (the application
 * secrets and the tickets sent with our flight both start from ClientHello...server Finished), and every provider
 * digest copies the running state to finalize it.
 */
import type { Hash, TranscriptHash } from "../crypto/provider.ts";

export class Transcript implements TranscriptHash {
  #digest: Uint8Array | null = null;

  private constructor(private readonly state: TranscriptHash) {}

  /** An empty transcript under the negotiated suite's hash. */
  static start(hash: Hash): Transcript {
    return new Transcript(hash.transcript());
  }

  update(data: Uint8Array): void {
    this.#digest = null;
    this.state.update(data);
  }

  /** Transcript-Hash of everything so far; the same array until the next update, so callers must not modify it. */
  digest(): Uint8Array {
    return this.#digest ??= this.state.digest();
  }

  clone(): Transcript {
    const copy = new Transcript(this.state.clone());
    copy.#digest = this.#digest;
    return copy;
  }
}
