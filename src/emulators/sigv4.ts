/**
 * AWS Signature Version 4 for S3, signing and verifying, on WebCrypto only so that it runs unchanged in a page (under
 * msw) and in Node. Follows https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html and
 * sig-v4-header-based-auth.html; S3 differs from other services in not double-encoding the path.
 */

/** An access key pair. */
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The signing algorithm name, the only one S3 accepts for SigV4. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** The payload hash of a request whose body is not signed (every presigned URL). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** The longest `X-Amz-Expires` S3 accepts: seven days. */
export const MAX_PRESIGN_EXPIRES = 604_800;

const encoder = new TextEncoder();

function bytesOf(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return encoder.encode(data);
  // WebCrypto wants an ArrayBuffer-backed view; a copy is the portable way to get one from any Uint8Array.
  return new Uint8Array(data);
}

/** Lower-case hex of bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = '';
  for (const byte of view) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The SHA-256 of data as lower-case hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', bytesOf(data)));
}

async function hmac(key: Uint8Array | ArrayBuffer, message: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    key instanceof Uint8Array ? bytesOf(key) : key,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message));
}

/** RFC 3986 percent-encoding as SigV4 wants it: only `A-Z a-z 0-9 - . _ ~` stay, and `/` too when `keepSlash`. */
export function uriEncode(value: string, keepSlash = false): string {
  let encoded = '';
  for (const byte of encoder.encode(value)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === '/')) encoded += char;
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A stray '%' is kept literally; the signature then decides, as it would on S3.
    return value;
  }
}

/**
 * The query parameters exactly as the URL carries them, decoded, in order, duplicates kept. `URLSearchParams` is not
 * used because it turns `+` into a space, which S3 does not.
 */
export function parseQuery(search: string): Array<[string, string]> {
  const query = search.startsWith('?') ? search.slice(1) : search;
  if (query === '') return [];
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1
        ? [decodeComponent(pair), '']
        : [decodeComponent(pair.slice(0, eq)), decodeComponent(pair.slice(eq + 1))];
    });
}

/** The canonical query string over every parameter but `X-Amz-Signature`, sorted by encoded name then value. */
export function canonicalQueryString(params: Array<[string, string]>): string {
  return params
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The canonical URI of a URL path: each segment decoded once and re-encoded (S3 does not double-encode). */
export function canonicalUri(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => uriEncode(decodeComponent(segment)))
    .join('/');
}

function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** What a canonical request is built from. */
export interface CanonicalRequestInput {
  method: string;
  pathname: string;
  query: Array<[string, string]>;
  /** Lower-case header names to values, exactly the signed headers. */
  headers: Record<string, string>;
  payloadHash: string;
}

/** The SigV4 canonical request text. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  const names = Object.keys(input.headers).sort();
  const headerLines = names.map((name) => `${name}:${canonicalHeaderValue(input.headers[name] ?? '')}\n`).join('');
  return [
    input.method.toUpperCase(),
    canonicalUri(input.pathname),
    canonicalQueryString(input.query),
    headerLines,
    names.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** The credential scope `yyyymmdd/region/service/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

/** The string to sign for a canonical request. */
export async function stringToSign(amzDate: string, scope: string, canonical: string): Promise<string> {
  return [SIGV4_ALGORITHM, amzDate, scope, await sha256Hex(canonical)].join('\n');
}

/** The hex signature of a string to sign, derived from the secret through the date/region/service key chain. */
export async function signature(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
  toSign: string,
): Promise<string> {
  let key = await hmac(encoder.encode(`AWS4${secretAccessKey}`), date);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, 'aws4_request');
  return toHex(await hmac(key, toSign));
}

/** `YYYYMMDDTHHMMSSZ` of a time in milliseconds. */
export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Parses `YYYYMMDDTHHMMSSZ` to milliseconds, or `undefined` when malformed. */
export function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What {@link presignUrl} needs. */
export interface PresignInput {
  method: string;
  /** The full URL without signature parameters; its own query parameters are signed as they are. */
  url: string;
  credentials: SigV4Credentials;
  region: string;
  service?: string;
  /** Seconds, 1..604800. */
  expiresIn: number;
  /** Headers the caller must send with exactly these values; `host` is always signed. */
  headers?: Record<string, string>;
  /** The signing time in milliseconds; defaults to now. */
  now?: number;
}

/**
 * A SigV4 query-signed URL, the same scheme as `@aws-sdk/s3-request-presigner`: `X-Amz-Content-Sha256=UNSIGNED-PAYLOAD`
 * in the query, `host` plus the given headers signed, and the query written in canonical order.
 */
export async function presignUrl(input: PresignInput): Promise<string> {
  const url = new URL(input.url);
  const service = input.service ?? 's3';
  const amzDate = toAmzDate(input.now ?? Date.now());
  const date = amzDate.slice(0, 8);
  const scope = credentialScope(date, input.region, service);
  const headers: Record<string, string> = { host: url.host };
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  const signedHeaders = Object.keys(headers).sort().join(';');
  const query: Array<[string, string]> = [
    ...parseQuery(url.search),
    ['X-Amz-Algorithm', SIGV4_ALGORITHM],
    ['X-Amz-Content-Sha256', UNSIGNED_PAYLOAD],
    ['X-Amz-Credential', `${input.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(input.expiresIn)],
    ['X-Amz-SignedHeaders', signedHeaders],
  ];
  const canonical = canonicalRequest({
    method: input.method,
    pathname: url.pathname,
    query,
    headers,
    payloadHash: UNSIGNED_PAYLOAD,
  });
  const sig = await signature(
    input.credentials.secretAccessKey,
    date,
    input.region,
    service,
    await stringToSign(amzDate, scope, canonical),
  );
  const search = canonicalQueryString(query);
  return `${url.origin}${url.pathname}?${search}&X-Amz-Signature=${sig}`;
}

/** One SigV4 refusal, in S3's own error vocabulary. */
export interface SigV4Failure {
  ok: false;
  status: number;
  code: string;
  message: string;
  /** Extra `<Error>` children S3 sends with this code (StringToSign, HeadersNotSigned, …). */
  details?: Record<string, string>;
}

/** A verified request. */
export interface SigV4Success {
  ok: true;
  /** `query` for a presigned URL, `header` for an `Authorization` header. */
  mode: 'query' | 'header';
  accessKeyId: string;
  /** The declared payload hash: `UNSIGNED-PAYLOAD` or a hex SHA-256 the body must match. */
  payloadHash: string;
}

/** The outcome of {@link verifySigV4}. */
export type SigV4Result = SigV4Success | SigV4Failure;

/** What {@link verifySigV4} checks against. */
export interface VerifyOptions {
  /** Returns the secret of a known access key, or `undefined`. */
  secretFor(accessKeyId: string): string | undefined;
  region: string;
  service?: string;
  /** Milliseconds. */
  now: number;
  /** When true, a presigned URL that is otherwise valid is treated as expired (fault injection). */
  forceExpired?: boolean;
}

const fail = (status: number, code: string, message: string, details?: Record<string, string>): SigV4Failure =>
  details ? { ok: false, status, code, message, details } : { ok: false, status, code, message };

const QUERY_AUTH_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Signature',
  'X-Amz-Date',
  'X-Amz-SignedHeaders',
  'X-Amz-Expires',
] as const;

/** Request time skew S3 tolerates on header-signed requests. */
const MAX_SKEW_MS = 15 * 60 * 1000;

interface AuthParts {
  mode: 'query' | 'header';
  credential: string;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  expires?: number;
  query: Array<[string, string]>;
}

function queryAuth(url: URL): AuthParts | SigV4Failure | undefined {
  const query = parseQuery(url.search);
  const get = (name: string): string | undefined => query.find(([key]) => key === name)?.[1];
  if (!QUERY_AUTH_PARAMS.some((name) => get(name) !== undefined)) return undefined;
  if (QUERY_AUTH_PARAMS.some((name) => get(name) === undefined)) {
    return fail(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, ' +
        'X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (get('X-Amz-Algorithm') !== SIGV4_ALGORITHM) {
    return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const expiresText = get('X-Amz-Expires') as string;
  if (!/^\d+$/.test(expiresText)) {
    return fail(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  }
  const expires = Number(expiresText);
  if (expires > MAX_PRESIGN_EXPIRES) {
    return fail(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
  }
  return {
    mode: 'query',
    credential: get('X-Amz-Credential') as string,
    amzDate: get('X-Amz-Date') as string,
    signedHeaders: (get('X-Amz-SignedHeaders') as string).split(';'),
    signature: get('X-Amz-Signature') as string,
    payloadHash: get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD,
    expires,
    query,
  };
}

function headerAuth(request: Request, url: URL): AuthParts | SigV4Failure | undefined {
  const authorization = request.headers.get('authorization');
  if (authorization === null) return undefined;
  const malformed = (message: string): SigV4Failure => fail(400, 'AuthorizationHeaderMalformed', message);
  if (!authorization.startsWith(`${SIGV4_ALGORITHM} `)) {
    return fail(400, 'InvalidArgument', 'Unsupported Authorization Type');
  }
  const fields = new Map<string, string>();
  for (const field of authorization.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = field.indexOf('=');
    if (eq > 0) fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (!credential || !signedHeaders || !sig) {
    return malformed('The authorization header is malformed; the authorization component is missing.');
  }
  const amzDate = request.headers.get('x-amz-date');
  if (amzDate === null) {
    return fail(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  const payloadHash = request.headers.get('x-amz-content-sha256');
  if (payloadHash === null) {
    return fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  return {
    mode: 'header',
    credential,
    amzDate,
    signedHeaders: signedHeaders.split(';'),
    signature: sig,
    payloadHash,
    query: parseQuery(url.search),
  };
}

/**
 * Verifies a request signed either by query parameters (a presigned URL) or by an `Authorization` header, the way S3
 * does: parameter checks, then the access key, then expiry, then the signature over every query parameter and every
 * signed header. Unsigned `x-amz-*` headers are refused as S3 refuses them (`HeadersNotSigned`).
 */
export async function verifySigV4(request: Request, options: VerifyOptions): Promise<SigV4Result> {
  const url = new URL(request.url);
  const service = options.service ?? 's3';
  const fromHeader = headerAuth(request, url);
  const fromQuery = queryAuth(url);
  if (fromHeader && fromQuery) {
    return fail(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, ' +
      'Signature query string parameter or the Authorization header should be specified');
  }
  const auth = fromHeader ?? fromQuery;
  if (!auth) return fail(403, 'AccessDenied', 'Access Denied');
  if ('ok' in auth) return auth;

  const [accessKeyId = '', date = '', region = '', scopeService = '', terminator = ''] = auth.credential.split('/');
  const paramError = auth.mode === 'query' ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';
  const credentialField = auth.mode === 'query' ? 'X-Amz-Credential parameter' : 'Credential';
  if (auth.credential.split('/').length !== 5 || terminator !== 'aws4_request') {
    return fail(400, paramError, `Error parsing the ${credentialField}; the Credential is mal-formed; expecting ` +
      '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === undefined) {
    return fail(400, paramError, 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  }
  if (date !== auth.amzDate.slice(0, 8)) {
    return fail(400, paramError, `Error parsing the ${credentialField}; incorrect date format "${date}". This date ` +
      'in the credential must be in the format "yyyyMMdd".');
  }
  if (region !== options.region) {
    return fail(400, paramError, `Error parsing the ${credentialField}; the region '${region}' is wrong; ` +
      `expecting '${options.region}'`, { Region: options.region });
  }
  if (scopeService !== service) {
    return fail(400, paramError, `Error parsing the ${credentialField}; incorrect service "${scopeService}". This ` +
      `endpoint belongs to "${service}".`);
  }
  const secret = options.secretFor(accessKeyId);
  if (secret === undefined) {
    return fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  if (auth.mode === 'query') {
    const expiresAt = signedAt + (auth.expires ?? 0) * 1000;
    if (options.forceExpired || options.now > expiresAt) {
      return fail(403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': String(auth.expires),
        Expires: new Date(expiresAt).toISOString(),
        ServerTime: new Date(options.now).toISOString(),
      });
    }
    if (signedAt > options.now + MAX_SKEW_MS) {
      return fail(403, 'AccessDenied', 'Request is not valid yet');
    }
  } else if (Math.abs(options.now - signedAt) > MAX_SKEW_MS) {
    return fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too ' +
      'large.', { RequestTime: auth.amzDate, ServerTime: new Date(options.now).toISOString() });
  }
  if (!auth.signedHeaders.includes('host')) {
    return fail(400, paramError, 'Host must be signed in SignedHeaders');
  }
  const signed = new Set(auth.signedHeaders);
  const unsigned = [...request.headers.keys()].filter((name) => name.startsWith('x-amz-') && !signed.has(name));
  if (unsigned.length > 0) {
    return fail(403, 'AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    // Under a service worker or a browser Request, Host is not a header; the URL carries what the client sent.
    headers[name] = name === 'host' ? (request.headers.get('host') ?? url.host) : (request.headers.get(name) ?? '');
  }
  const canonical = canonicalRequest({
    method: request.method,
    pathname: url.pathname,
    query: auth.query,
    headers,
    payloadHash: auth.payloadHash,
  });
  const toSign = await stringToSign(auth.amzDate, credentialScope(date, region, service), canonical);
  const expected = await signature(secret, date, region, service, toSign);
  if (expected !== auth.signature.toLowerCase()) {
    return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature ' +
      'you provided. Check your key and signing method.', {
      AWSAccessKeyId: accessKeyId,
      StringToSign: toSign,
      SignatureProvided: auth.signature,
      CanonicalRequest: canonical,
    });
  }
  return { ok: true, mode: auth.mode, accessKeyId, payloadHash: auth.payloadHash };
}
