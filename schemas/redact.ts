/**
 * Redaction of credentials in URLs and in text that may hold URLs (log
 * lines, error messages, `/health` bodies). Every part that logs or reports
 * a configured URL (`REDIS_URL`, `DATABASE_URL`, `MLFLOW_TRACKING_URI`,
 * artifact locations) passes it through here, so one rule decides what is
 * secret: the password of the user-info part, and the values of query
 * parameters whose names say they carry a secret.
 *
 * @example
 * ```ts
 * redactUrl("redis://:s3cret@redis:6379"); // "redis://:***@redis:6379"
 * redactText("Cannot reach https://ml:pw@mlflow:5000/api"); // "Cannot reach https://ml:***@mlflow:5000/api"
 * ```
 *
 * @module
 */

/** What replaces a secret. */
export const REDACTED = "***";

/** Query parameter names (lower case, substrings) whose values are secrets. */
const SECRET_PARAMS = /token|secret|password|passwd|pwd|key|signature|sig|credential|auth/i;

/** `scheme://user:password@` (password optional) at the start of a URL. */
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@/i;

/** URLs inside free text: a scheme, `://`, then anything up to white space or a quote. */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * The URL with its password (or a lone user-info token, which is how Redis
 * and Upstash URLs carry secrets) and secret query values replaced by
 * {@linkcode REDACTED}. Text that is not a URL is returned unchanged.
 */
export function redactUrl(url: string): string {
  let out = url.replace(USER_INFO, (_, scheme: string, info: string) => {
    const colon = info.indexOf(":");
    if (colon >= 0) return `${scheme}${info.slice(0, colon)}:${REDACTED}@`;
    // `redis://token@host`: a user-info without a colon is the secret itself.
    return info === "" ? `${scheme}@` : `${scheme}${REDACTED}@`;
  });
  const q = out.indexOf("?");
  if (q >= 0) {
    const hash = out.indexOf("#", q);
    const end = hash < 0 ? out.length : hash;
    const query = out.slice(q + 1, end).split("&").map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      return SECRET_PARAMS.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    }).join("&");
    out = `${out.slice(0, q + 1)}${query}${out.slice(end)}`;
  }
  return out;
}

/** `text` with every URL in it passed through {@linkcode redactUrl}. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, redactUrl);
}
