/**
 * The emulator's own reading of a COS v4 multi-effect signature, written from the note (section "Auth") and checked
 * against the seed's `Authorization` example, not taken from the adapter or the signing handler, so that a mistake in
 * theirs is refused here: `sign = Base64(HMAC-SHA1(SecretKey, original) ++ original)`, standard Base64, the 20 HMAC
 * bytes first, `original` = `a=…&b=…&k=…&e=…&t=…&r=…&f=…` with the fields in any order.
 */
import { base64ToBytes } from './checksums.js';

/** The bytes of an HMAC-SHA1. */
export const COS_V4_HMAC_BYTES = 20;

/** The longest a multi-effect signature may live past its `t`: the note's "`e ≤ t + 90 days`". */
export const COS_V4_MAX_LIFETIME_S = 90 * 24 * 3600;

/** A signature taken apart: the HMAC it carries, the text it signs, and that text's fields by name. */
export interface MultiEffectSignature {
  hmac: Uint8Array;
  original: string;
  fields: Readonly<Record<string, string>>;
}

/** Takes a signature apart, or `undefined` when it is not Base64 of an HMAC followed by UTF-8 `name=value` pairs. */
export function readMultiEffectSignature(signature: string): MultiEffectSignature | undefined {
  const bytes = base64ToBytes(signature);
  if (!bytes || bytes.byteLength <= COS_V4_HMAC_BYTES) return undefined;
  let original: string;
  try {
    original = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(COS_V4_HMAC_BYTES));
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const pair of original.split('&')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { hmac: bytes.subarray(0, COS_V4_HMAC_BYTES), original, fields };
}

/** Whether `hmac` is HMAC-SHA1(`secretKey`, `original`), compared in full. */
export async function isCosV4Hmac(secretKey: string, original: string, hmac: Uint8Array): Promise<boolean> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secretKey), { name: 'HMAC', hash: 'SHA-1' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, new Uint8Array(hmac), encoder.encode(original));
}

/** A path as COS v4 writes it into URLs: each segment URL-encoded, `/` kept (the note: "URL-encoded except `/`"). */
export function cosV4PathInUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
