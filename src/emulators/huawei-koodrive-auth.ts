/**
 * The KooDrive API gateway's two authentication schemes as the emulator checks them: a user's `Bearer` access token
 * (20 minutes, sliding) and app authentication (`HMAC-SHA256 AppId=…,SignedHeaders=…,Signature=…` over the
 * canonical request, `X-Date` within 15 minutes). Written apart from the shipped signer so that the two check each
 * other. WebCrypto only, so it runs in a page and in Node.
 */
import { parseAmzDate, sha256Hex, toHex, uriEncode } from './sigv4.js';
import { JsonRefusal } from './emulator.js';

/** A gateway refusal: HTTP status and the `{error_code, error_msg}` pair the gateway answers with. */
export class KooDriveGatewayRefusal extends JsonRefusal {
  constructor(status: number, code: string, message: string, /** Extra response headers, such as a fault's Retry-After. */ headers: Record<string, string> = {}) {
    super(status, code, message, (requestId) => ({ error_code: code, error_msg: message, request_id: requestId }), {
      ...headers,
      'content-type': 'application/json;charset=UTF-8',
    });
  }
}

/** How the emulator checks credentials. */
export interface KooDriveAuthConfig {
  /** AppId → AppSecret of the apps allowed to sign. */
  apps: Readonly<Record<string, string>>;
  /** `sha256` (hex SHA-256 of the body, the default) or `unsigned` (`UNSIGNED-PAYLOAD`) as the payload line. */
  payloadHash: 'sha256' | 'unsigned';
  /** Milliseconds. */
  now: number;
  /** Treat a valid signature or token as expired (fault injection). */
  forceExpired: boolean;
  /** What stands between `Bearer` and the token: the one spelling accepted (see `KooDriveEmulatorOptions`). */
  bearerSeparator: '+' | ' ';
}

/** A live bearer token. */
export interface KooDriveToken {
  userId: string;
  expiresAt: number;
}

/** How long an app-auth signature and an `X-Date` stay valid, and how long a token lives after its last use. */
export const SIGNATURE_WINDOW_MS = 15 * 60 * 1000;
/** The sliding lifetime of a user access token. */
export const TOKEN_LIFETIME_MS = 20 * 60 * 1000;

const encoder = new TextEncoder();

function appAuthFailure(message: string): KooDriveGatewayRefusal {
  return new KooDriveGatewayRefusal(401, 'APIGW.0303', `Incorrect app authentication information: ${message}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The canonical request the gateway rebuilds from what it received, for the headers the client says it signed. */
async function receivedCanonicalRequest(
  request: Request,
  body: string,
  signedHeaders: readonly string[],
  payloadHash: KooDriveAuthConfig['payloadHash'],
): Promise<string> {
  const url = new URL(request.url);
  let path = url.pathname.split('/').map((segment) => uriEncode(decodeSegment(segment))).join('/');
  if (!path.endsWith('/')) path += '/';
  const query = [...url.searchParams].map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).sort().join('&');
  const lines = signedHeaders
    .map((name) => {
      // Under a service worker the Host header is not visible; the URL carries the host the client addressed.
      const value = name === 'host' ? (request.headers.get('host') ?? url.host) : request.headers.get(name);
      if (value === null) throw appAuthFailure(`signed header ${name} is missing`);
      return `${name}:${value.trim()}\n`;
    })
    .join('');
  const payload = payloadHash === 'unsigned' ? 'UNSIGNED-PAYLOAD' : await sha256Hex(body);
  return [request.method.toUpperCase(), path, query, lines, signedHeaders.join(';'), payload].join('\n');
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

/**
 * Verifies app authentication and returns the `X-User-Id` the call acts for, or throws the gateway's refusal:
 * malformed header, unknown AppId, `x-date`/`x-user-id` not signed, malformed or out-of-window `X-Date`, or a
 * signature that does not match the request as received.
 */
export async function verifyAppAuth(request: Request, body: string, config: KooDriveAuthConfig): Promise<string> {
  const authorization = request.headers.get('authorization') ?? '';
  const fields = new Map<string, string>();
  for (const field of authorization.slice('HMAC-SHA256 '.length).split(',')) {
    const eq = field.indexOf('=');
    if (eq > 0) fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim());
  }
  const appId = fields.get('AppId');
  const signedHeaderList = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!appId || !signedHeaderList || !signature) throw appAuthFailure('authorization format error');
  const secret = Object.hasOwn(config.apps, appId) ? config.apps[appId] : undefined;
  if (secret === undefined) throw appAuthFailure(`app not found, appkey ${appId}`);
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('x-date') || !signedHeaders.includes('x-user-id')) {
    throw appAuthFailure('SignedHeaders must include x-date and x-user-id');
  }
  if (signedHeaders.some((name, index) => name !== name.toLowerCase() || (index > 0 && name <= (signedHeaders[index - 1] as string)))) {
    throw appAuthFailure('SignedHeaders must be lower-case names in ascending order');
  }
  const date = request.headers.get('x-date') ?? '';
  const signedAt = parseAmzDate(date);
  if (signedAt === undefined) throw appAuthFailure('x-date format error, expected yyyyMMddTHHmmssZ');
  const serverTime = new Date(config.now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  if (config.forceExpired || signedAt > config.now || config.now - signedAt > SIGNATURE_WINDOW_MS) {
    throw appAuthFailure(`signature expired, signature time:${date},server time:${serverTime}`);
  }
  const userId = request.headers.get('x-user-id') ?? '';
  if (userId === '') throw appAuthFailure('x-user-id is empty');
  const canonical = await receivedCanonicalRequest(request, body, signedHeaders, config.payloadHash);
  const expected = await hmacHex(secret, `HMAC-SHA256\n${await sha256Hex(canonical)}`);
  if (expected !== signature.toLowerCase()) {
    throw appAuthFailure(`verify signature fail, canonicalRequest:${canonical.replaceAll('\n', '|')}`);
  }
  return userId;
}

/**
 * Verifies `Bearer+<token>` (the reference's literal form; `Bearer <token>` instead when so configured) against the
 * live tokens, extends it by 20 minutes, and returns its user; an unknown token is refused, an expired one asks to be
 * renewed.
 */
export function verifyBearer(request: Request, tokens: Map<string, KooDriveToken>, config: KooDriveAuthConfig): string {
  const authorization = request.headers.get('authorization') ?? '';
  const prefix = `Bearer${config.bearerSeparator}`;
  if (!authorization.startsWith(prefix)) {
    throw new KooDriveGatewayRefusal(401, 'APIGW.0301', `Incorrect IAM authentication information: the token must follow "${prefix}"`);
  }
  const token = authorization.slice(prefix.length);
  const live = tokens.get(token);
  if (!live) throw new KooDriveGatewayRefusal(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail');
  if (config.forceExpired || config.now > live.expiresAt) {
    tokens.delete(token);
    throw new KooDriveGatewayRefusal(401, 'APIGW.0307', 'The token must be updated.');
  }
  live.expiresAt = config.now + TOKEN_LIFETIME_MS;
  return live.userId;
}

/** Picks the scheme from the `Authorization` header and returns the user the call acts for. */
export async function authenticateKooDrive(
  request: Request,
  body: string,
  tokens: Map<string, KooDriveToken>,
  config: KooDriveAuthConfig,
): Promise<string> {
  const authorization = request.headers.get('authorization');
  if (authorization === null) {
    throw new KooDriveGatewayRefusal(401, 'APIGW.0301', 'Incorrect IAM authentication information: Authorization not found');
  }
  if (/^Bearer[ +]/.test(authorization)) return verifyBearer(request, tokens, config);
  if (authorization.startsWith('HMAC-SHA256 ')) return verifyAppAuth(request, body, config);
  throw new KooDriveGatewayRefusal(401, 'APIGW.0301', 'Incorrect IAM authentication information: unsupported authorization type');
}
