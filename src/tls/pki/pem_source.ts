/**
 * Where PEM (or DER) input comes from in the public options: text in memory, bytes, or a file. A plain string
 * is always content, never a path, so that a typo in a path cannot be mistaken for a malformed certificate;
 * files are named explicitly with `{ path }`.
 */
import { readFile } from "node:fs/promises";
import { LoadError } from "./load_error.ts";
import { looksLikePem } from "./pem.ts";

export type PemSource = string | Uint8Array | { readonly path: string };

export interface SourceData {
  readonly data: string | Uint8Array;
  /** The file path, or `fallbackName` for in-memory input: what error messages call this input. */
  readonly name: string;
}

/** Reads a source. Throws LoadError "unreadable" for a missing file, or for a string that is not PEM. */
export async function readPemSource(source: PemSource, fallbackName: string): Promise<SourceData> {
  if (typeof source === "string") {
    if (!looksLikePem(source)) {
      throw new LoadError("bad_pem", fallbackName, "the string is not PEM (to read a file, pass { path })");
    }
    return { data: source, name: fallbackName };
  }
  if (source instanceof Uint8Array) return { data: source, name: fallbackName };
  try {
    return { data: new Uint8Array(await readFile(source.path)), name: source.path };
  } catch (e) {
    const reason = (e as { code?: string }).code === "ENOENT" ? "no such file" : `cannot read it (${e})`;
    throw new LoadError("unreadable", source.path, reason, { cause: e });
  }
}
