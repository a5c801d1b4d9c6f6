/**
 * The MetaStudio emulator's checks of Huawei Cloud API signatures (`SDK-HMAC-SHA256`, rebuilt from the request as
 * received, independently of the shipped signer) and its OBS query-string signatures (HMAC-SHA1, Base64).
 */

/** An AK/SK pair the emulator accepts. */
export interface HuaweiTestCredentials {
  accessKey: string;
  secretKey: string;
}

/** Whether a request's signature holds, and why not. */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const encoder = new TextEncoder();

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmac(hash: 'SHA-1' | 'SHA-256', key: string, text: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(text));
}

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function percentEncode(text: string): string {
  return [...encoder.encode(text)]
    .map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function sdkDateMs(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

/**
 * Verifies `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` with `X-Sdk-Date` inside
 * `windowMs` of `now`, over the body bytes as received.
 */
export async function verifyHuaweiSignature(
  request: Request,
  body: Uint8Array,
  credentials: HuaweiTestCredentials,
  now: number,
  windowMs: number,
): Promise<SignatureCheck> {
  const header = request.headers.get('authorization') ?? '';
  const parsed = /^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([^,\s]+), Signature=([0-9a-f]{64})$/.exec(header);
  if (!parsed) return { ok: false, reason: 'The Authorization header is not an SDK-HMAC-SHA256 signature.' };
  const [, access, signedList, signature] = parsed as unknown as [string, string, string, string];
  if (access !== credentials.accessKey) return { ok: false, reason: 'The access key is unknown.' };
  const date = request.headers.get('x-sdk-date') ?? '';
  const at = sdkDateMs(date);
  if (Number.isNaN(at)) return { ok: false, reason: 'X-Sdk-Date is missing or not YYYYMMDDTHHMMSSZ.' };
  if (Math.abs(now - at) > windowMs) return { ok: false, reason: 'X-Sdk-Date is outside the allowed clock skew; the signature expired.' };
  const names = signedList.split(';');
  if (!names.includes('x-sdk-date') || !names.includes('host')) return { ok: false, reason: 'SignedHeaders must include host and x-sdk-date.' };
  const url = new URL(request.url);
  const lines: string[] = [];
  for (const name of names) {
    // A page's fetch (msw) carries no Host header; the URL's host is what it would have been.
    const value = name === 'host' ? (request.headers.get('host') ?? url.host) : request.headers.get(name);
    if (value === null) return { ok: false, reason: `The signed header ${name} is missing.` };
    lines.push(`${name}:${value}\n`);
  }
  const path = url.pathname.split('/').map(encodeURIComponent).join('/');
  const query = [...url.searchParams]
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    request.method,
    path.endsWith('/') ? path : `${path}/`,
    query,
    lines.join(''),
    signedList,
    toHex(await crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>)),
  ].join('\n');
  const hashed = toHex(await crypto.subtle.digest('SHA-256', encoder.encode(canonical)));
  const expected = toHex(await hmac('SHA-256', credentials.secretKey, `SDK-HMAC-SHA256\n${date}\n${hashed}`));
  return constantTimeEqual(expected, signature) ? { ok: true } : { ok: false, reason: 'The request signature does not match.' };
}

/** OBS's query-string signature: Base64 HMAC-SHA1 over `PUT\n<Content-MD5>\n<Content-Type>\n<Expires>\n/<bucket>/<key>`. */
export async function obsQuerySignature(
  secretKey: string,
  input: { method: string; contentMd5: string; contentType: string; expires: number; resource: string },
): Promise<string> {
  const text = [input.method, input.contentMd5, input.contentType, String(input.expires), input.resource].join('\n');
  return base64(await hmac('SHA-1', secretKey, text));
}

/** Compares two signatures without leaking where they differ. */
export function signaturesEqual(a: string, b: string): boolean {
  return constantTimeEqual(a, b);
}
