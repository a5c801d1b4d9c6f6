/**
 * Huawei Cloud API signing (`SDK-HMAC-SHA256`), ported from the official SDK's `AKSKSigner` onto WebCrypto so that
 * it runs in Node and, for contract tests, in a page.
 */

/** An access key pair of a Huawei Cloud account or IAM user. */
export interface HuaweiAkSk {
  accessKey: string;
  secretKey: string;
}

/** One request to sign: the headers that will be sent (besides `host`, which is signed from the URL). */
export interface HuaweiSignInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body exactly as it will be sent. */
  body?: string | Uint8Array;
  /** Defaults to now. */
  date?: Date;
}

/** The signing algorithm name in `Authorization` and the string to sign. */
export const HUAWEI_SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hex SHA-256 of text or bytes. */
export async function sha256HexOf(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Hex HMAC-SHA256 of `text` under `key`. */
export async function hmacSha256Hex(key: string, text: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(text)));
}

/** `YYYYMMDDTHHMMSSZ`, the `X-Sdk-Date` format. */
export function sdkDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The SDK's query encoding: everything but `A-Z a-z 0-9 - _ . ~` percent-encoded as UTF-8. */
export function huaweiUrlEncode(text: string): string {
  return [...encoder.encode(text)]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** The canonical URI: each path segment through encodeURIComponent, ending in `/` as the SDK makes it. */
export function canonicalUri(pathname: string): string {
  const path = pathname.split('/').map(encodeURIComponent).join('/');
  return path.endsWith('/') ? path : `${path}/`;
}

/** The canonical query: keys sorted, `key=value` pairs (repeated keys with sorted values) joined by `&`. */
export function canonicalQuery(search: URLSearchParams): string {
  const keys = [...new Set(search.keys())].sort();
  return keys
    .flatMap((key) => search.getAll(key).sort().map((value) => `${huaweiUrlEncode(key)}=${huaweiUrlEncode(value)}`))
    .join('&');
}

/** The canonical request of the SDK signer, for headers already lower-cased and including `host`. */
export function canonicalRequest(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payloadHash: string,
): { text: string; signedHeaders: string } {
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers[name]}\n`).join('');
  const signedHeaders = names.join(';');
  const text = [method.toUpperCase(), canonicalUri(url.pathname), canonicalQuery(url.searchParams), canonicalHeaders, signedHeaders, payloadHash].join('\n');
  return { text, signedHeaders };
}

/** The string to sign: algorithm, `X-Sdk-Date`, and the hex SHA-256 of the canonical request, one per line. */
export async function stringToSign(date: string, canonical: string): Promise<string> {
  return [HUAWEI_SIGNING_ALGORITHM, date, await sha256HexOf(canonical)].join('\n');
}

/**
 * Signs a request as Huawei's SDK does and returns the headers to send: the input headers plus `X-Sdk-Date` and
 * `Authorization`. Every input header and `host` are signed, so send exactly these.
 */
export async function signHuaweiRequest(input: HuaweiSignInput, credentials: HuaweiAkSk): Promise<Record<string, string>> {
  const url = new URL(input.url);
  const date = sdkDate(input.date ?? new Date());
  const sent: Record<string, string> = { ...input.headers, 'X-Sdk-Date': date };
  const lowered: Record<string, string> = { host: url.host };
  for (const [name, value] of Object.entries(sent)) lowered[name.toLowerCase()] = value;
  const payloadHash = await sha256HexOf(input.body ?? '');
  const { text, signedHeaders } = canonicalRequest(input.method, url, lowered, payloadHash);
  const signature = await hmacSha256Hex(credentials.secretKey, await stringToSign(date, text));
  return {
    ...sent,
    Authorization: `${HUAWEI_SIGNING_ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
