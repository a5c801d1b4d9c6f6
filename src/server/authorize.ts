import { HttpError, ServerErrorCode } from './http-json.js';

/**
 * What `authorize` answers: `false` refuses (403, the same answer whether or not the upload exists), `true` allows
 * with no principal, and a string allows and names the principal (your user id), to which every upload it creates is
 * then bound.
 */
export type AuthorizeAnswer = boolean | string;

/** The `authorize(request, action)` option every handler factory takes; `Action` is the handler's own union. */
export type Authorize<Action> = (request: Request, action: Action) => AuthorizeAnswer | Promise<AuthorizeAnswer>;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_PRINCIPAL_LENGTH = 256;
const encoder = new TextEncoder();

/** The 403 for a refused or foreign request. */
export function forbidden(): HttpError {
  return new HttpError(403, ServerErrorCode.Forbidden, 'This request is not allowed.');
}

/**
 * Asks `authorize` about `action`: resolves to the principal, or `undefined` when allowed without one (and when there
 * is no `authorize`); throws 403 when refused. A principal that is not 1–256 characters without control characters is
 * a bug in `authorize`, thrown as a `TypeError` (500, details to `onError`).
 */
export async function principalFor<Action>(
  authorize: Authorize<Action> | undefined,
  request: Request,
  action: Action,
): Promise<string | undefined> {
  if (!authorize) return undefined;
  const answer = await authorize(request, action);
  if (answer === false) throw forbidden();
  if (answer === true) return undefined;
  if (typeof answer !== 'string' || answer === '' || answer.length > MAX_PRINCIPAL_LENGTH || CONTROL_CHARS.test(answer)) {
    throw new TypeError('authorize must answer true, false or a principal of 1 to 256 characters without control characters.');
  }
  return answer;
}

/**
 * A key prefix as a directory: `''` stays `''` (everything), anything else ends in `/`, so that `uploads` never
 * covers `uploads-admin/…` and `users/alice` never covers `users/alice2/…`.
 */
export function directoryPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * The principal as one path segment followed by `/`: percent-encoded (dots too, so that no principal reads as `.` or
 * `..`), so that two principals never share a directory and none can reach outside its own.
 */
function principalDirectory(principal: string): string {
  return `${encodeURIComponent(principal).replace(/\./g, '%2E')}/`;
}

/** The key prefix a principal may use below `prefix` (itself a directory), or `prefix` with no principal. */
export function prefixFor(prefix: string, principal: string | undefined): string {
  const base = directoryPrefix(prefix);
  return principal === undefined ? base : base + principalDirectory(principal);
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const MAC_BYTES = 16;
const MIN_SECRET_LENGTH = 32;

/** Checks a handler's `secret` option: at least 32 characters (use 32 random bytes, base64). */
export function checkSecret(factory: string, secret: unknown): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(`${factory}: secret must be a string of at least ${MIN_SECRET_LENGTH} characters (32 random bytes, base64).`);
  }
}

/**
 * Binds ids to principals without server state: `id` becomes `id.mac`, where `mac` is a truncated HMAC-SHA256 of the
 * principal and the id under a key derived from the handler's `secret`. Every server holding the secret can check
 * it, so handlers behind a load balancer need no shared store.
 */
export class UploadBinding {
  readonly #macKey: Promise<CryptoKey>;
  readonly #sealKey: Promise<CryptoKey>;

  constructor(secret: string) {
    const material = crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
    const derive = (info: string, algorithm: HmacImportParams | AesKeyGenParams, usages: KeyUsage[]) =>
      material.then((key) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
          key,
          algorithm,
          false,
          usages,
        ),
      );
    this.#macKey = derive('multi-cloud-uploader upload binding', { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign']);
    this.#sealKey = derive('multi-cloud-uploader sealed record', { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']);
  }

  async #mac(principal: string, id: string): Promise<string> {
    const signature = await crypto.subtle.sign('HMAC', await this.#macKey, encoder.encode(`${principal}\n${id}`));
    return toBase64Url(new Uint8Array(signature, 0, MAC_BYTES));
  }

  /** `id` bound to `principal`: `id.mac` (the mac is base64url, 22 characters). */
  async bind(principal: string, id: string): Promise<string> {
    return `${id}.${await this.#mac(principal, id)}`;
  }

  /** The id inside `bound` when it was bound to `principal` by a holder of the secret; otherwise `undefined`. */
  async open(principal: string, bound: string): Promise<string | undefined> {
    const dot = bound.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const id = bound.slice(0, dot);
    const expected = await this.#mac(principal, id);
    const given = bound.slice(dot + 1);
    if (given.length !== expected.length) return undefined;
    let difference = 0;
    for (let i = 0; i < given.length; i++) difference |= given.charCodeAt(i) ^ expected.charCodeAt(i);
    return difference === 0 ? id : undefined;
  }

  /**
   * `record` encrypted and authenticated (AES-256-GCM) together with `context` (the principal, say) and `expiresAt`
   * (epoch ms), as base64url: the record can travel with the page, which can neither read nor change it.
   */
  async seal(record: unknown, context: string, expiresAt: number): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plaintext = encoder.encode(JSON.stringify({ r: record, e: expiresAt }));
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
      await this.#sealKey,
      plaintext,
    );
    const out = new Uint8Array(iv.byteLength + ciphertext.byteLength);
    out.set(iv);
    out.set(new Uint8Array(ciphertext), iv.byteLength);
    return toBase64Url(out);
  }

  /** The record sealed in `token` with this `context`, while `now` is before its expiry; otherwise `undefined`. */
  async unseal(token: string, context: string, now: number): Promise<unknown> {
    const bytes = fromBase64Url(token);
    if (!bytes || bytes.byteLength < 12 + 16) return undefined;
    let plaintext: ArrayBuffer;
    try {
      plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: encoder.encode(context) },
        await this.#sealKey,
        bytes.subarray(12),
      );
    } catch {
      return undefined;
    }
    const { r: record, e: expiresAt } = JSON.parse(new TextDecoder().decode(plaintext)) as { r: unknown; e: number };
    return now < expiresAt ? record : undefined;
  }
}
