/** The hashes a SignatureScheme signs with (RFC 8446 §4.2.3). */
export type SchemeHash = "SHA-256" | "SHA-384" | "SHA-512";

/** Byte length of a scheme hash: the RSA-PSS salt length of RFC 8446 §4.2.3. */
export const schemeHashLength = (hash: SchemeHash) => (hash === "SHA-256" ? 32 : hash === "SHA-384" ? 48 : 64);
