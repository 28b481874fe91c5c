/**
 * The platform's one SHA-256 helper: model artifacts, manifests, feature
 * definitions and data sets are all fingerprinted with it. WebCrypto, so it
 * runs on Deno Deploy as well as in workers and CLIs.
 *
 * @module
 */

/** Hex sha256 of some bytes, or of a string's UTF-8 encoding. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
