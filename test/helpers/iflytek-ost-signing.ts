/**
 * Hand-signing for tests that call the iFlytek OST emulator directly, written from the note's recipe without the
 * shipped signer, so that a test of the emulator does not lean on the code it is meant to check.
 */

const utf8 = new TextEncoder();

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/** What one hand-signed call needs; any field can be set wrong on purpose. */
export interface HandSignInput {
  apiKey: string;
  apiSecret: string;
  host: string;
  date: string;
  /** The request line, e.g. `POST /emulator/iflytek-ost/file/mpupload/init HTTP/1.1`. */
  requestLine: string;
  body: string | Uint8Array<ArrayBuffer>;
  /** Overrides the digest computed from `body`. */
  digest?: string;
  /** Overrides the `headers="…"` list. */
  headersList?: string;
}

/** The four signed headers for a call, as iFlytek's guide builds them. */
export async function handSign(input: HandSignInput): Promise<Record<string, string>> {
  const digest = input.digest ?? `SHA-256=${base64(await crypto.subtle.digest('SHA-256', typeof input.body === 'string' ? utf8.encode(input.body) : input.body))}`;
  const message = `host: ${input.host}\ndate: ${input.date}\n${input.requestLine}\ndigest: ${digest}`;
  const key = await crypto.subtle.importKey('raw', utf8.encode(input.apiSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = base64(await crypto.subtle.sign('HMAC', key, utf8.encode(message)));
  const headers = input.headersList ?? 'host date request-line digest';
  return {
    host: input.host,
    date: input.date,
    digest,
    authorization: `api_key="${input.apiKey}", algorithm="hmac-sha256", headers="${headers}", signature="${signature}"`,
  };
}
