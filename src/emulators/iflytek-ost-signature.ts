/**
 * The emulator's own reading of iFlytek's HMAC-SHA256 request signature, written apart from the server handler's
 * signer so that a mistake in one is caught by the other.
 */

/** The parameters of an `authorization` header: `api_key="…", algorithm="…", headers="…", signature="…"`. */
export interface IflytekOstAuthorization {
  apiKey: string;
  algorithm: string;
  headers: string;
  signature: string;
}

/** The only `headers` list the service signs. */
export const IFLYTEK_OST_SIGNED_HEADERS = 'host date request-line digest';

/** An RFC 1123 date in GMT, the one form iFlytek's gateway reads. */
const RFC_1123_GMT = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Parses an `authorization` header; `undefined` when it is not four quoted `name="value"` pairs. */
export function parseIflytekOstAuthorization(value: string): IflytekOstAuthorization | undefined {
  const params = new Map<string, string>();
  const pair = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pair.exec(value)) !== null) {
    if (params.has(match[1]!)) return undefined;
    params.set(match[1]!, match[2]!);
    consumed = pair.lastIndex;
    if (consumed === value.length) break;
  }
  if (consumed !== value.length) return undefined;
  const apiKey = params.get('api_key');
  const algorithm = params.get('algorithm');
  const headers = params.get('headers');
  const signature = params.get('signature');
  if (!apiKey || !algorithm || headers === undefined || !signature || params.size !== 4) return undefined;
  return { apiKey, algorithm, headers, signature };
}

/** Milliseconds since the epoch of an RFC 1123 GMT date, or `undefined` for any other form. */
export function parseIflytekOstDate(value: string): number | undefined {
  if (!RFC_1123_GMT.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The string iFlytek signs: four lines, one space after each colon, no trailing newline. */
export function iflytekOstStringToSign(host: string, date: string, method: string, path: string, digest: string): string {
  return [`host: ${host}`, `date: ${date}`, `${method} ${path} HTTP/1.1`, `digest: ${digest}`].join('\n');
}

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/** Base64(HMAC-SHA256(secret, message)). */
export async function iflytekOstSignature(secret: string, message: string): Promise<string> {
  const utf8 = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64(await crypto.subtle.sign('HMAC', key, utf8.encode(message)));
}

/** `SHA-256=` + Base64(SHA-256(body)), the digest a strict service expects. */
export async function iflytekOstBodyDigest(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `SHA-256=${btoa(binary)}`;
}
