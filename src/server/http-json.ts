/** The stable `code`s of the errors server handlers answer (S3's own codes are passed through as they are). */
export const ServerErrorCode = {
  /** The body is not a JSON object where one is expected. */
  InvalidJson: 'invalid-json',
  /** The body is larger than the route accepts. */
  BodyTooLarge: 'body-too-large',
  /** The object key is missing or malformed (traversal, leading slash, backslash, control characters, too long). */
  InvalidKey: 'invalid-key',
  /** The object key is outside the handler's `keyPrefix`. */
  KeyOutsidePrefix: 'key-outside-prefix',
  /** The upload id is missing or malformed. */
  InvalidUploadId: 'invalid-upload-id',
  /** A part number is not an integer from 1 to 10,000. */
  InvalidPartNumber: 'invalid-part-number',
  /** The `partNumbers` list is empty, too long, repeats a number or holds an invalid one. */
  InvalidPartNumbers: 'invalid-part-numbers',
  /** The `parts` of a complete call are missing, empty, out of order or carry a bad ETag or checksum. */
  InvalidParts: 'invalid-parts',
  /** The filename is missing, too long or holds control characters. */
  InvalidFilename: 'invalid-filename',
  /** The content type is not a plain `type/subtype`. */
  InvalidType: 'invalid-type',
  /** The metadata is not an object. */
  InvalidMetadata: 'invalid-metadata',
  /** The declared file size is not a non-negative integer. */
  InvalidSize: 'invalid-size',
  /** The declared file size is over the handler's `maxFileSize`. */
  FileTooLarge: 'file-too-large',
  /** A `contentMd5`, `checksumAlgorithm` or `checksum` parameter is malformed or unsupported. */
  InvalidChecksum: 'invalid-checksum',
  /** The declared file size is missing where the handler's `maxFileSize` needs it. */
  SizeRequired: 'size-required',
  /** The content type is not one the handler's `allowedContentTypes` lists. */
  TypeNotAllowed: 'type-not-allowed',
  /** More part URLs were asked for in one call than the handler signs at once. */
  TooManyParts: 'too-many-parts',
  /** `authorize` said no, or the upload belongs to another principal; the same answer whether or not it exists. */
  Forbidden: 'forbidden',
  /** A state-changing request came from a page origin the handler does not allow (cross-site request forgery). */
  OriginNotAllowed: 'origin-not-allowed',
  /** A JSON route got a body of another type (`text/plain` from a cross-site form, say). */
  UnsupportedMediaType: 'unsupported-media-type',
  /** The request's `Host` header is not a valid host. */
  InvalidHost: 'invalid-host',
  /** The page stopped sending its body for longer than the handler waits, or took longer than it allows in all. */
  RequestTimeout: 'request-timeout',
  /** The storage service did not answer within the handler's time limit. */
  UpstreamTimeout: 'upstream-timeout',
  /** No route has this path. */
  NotFound: 'not-found',
  /** The route exists but not with this method. */
  MethodNotAllowed: 'method-not-allowed',
  /** The storage service answered something the handler cannot use. */
  BadStorageResponse: 'bad-storage-response',
  /** The storage service could not be reached or gave no HTTP answer. */
  StorageUnreachable: 'storage-unreachable',
  /** The client went away before the answer was ready. */
  ClientClosed: 'client-closed',
  /** The handler failed unexpectedly; the details went to the server's log, not to the client. */
  InternalError: 'internal-error',
} as const;
/** One of the stable error codes of {@link ServerErrorCode}. */
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/** The JSON body of every error a server handler answers: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string; partNumber?: number };
}

/** An error a handler turns into a JSON response with its own status and a stable code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly headers: Record<string, string> | undefined;
  /** The part a store refused, where it names one (S3 `InvalidPart`). */
  readonly partNumber: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { requestId?: string; headers?: Record<string, string>; partNumber?: number } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = extra.requestId;
    this.headers = extra.headers;
    this.partNumber = extra.partNumber;
  }

  /** The error as `{ error: { code, message } }`, with URLs cut to origin and path so no signature can leak. */
  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: redactUrls(this.message) };
    if (this.requestId !== undefined) error.requestId = this.requestId;
    if (this.partNumber !== undefined) error.partNumber = this.partNumber;
    return { error };
  }
}

/** A JSON response; `headers` are added after the content type. */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const responseHeaders = new Headers(headers);
  responseHeaders.set('content-type', 'application/json; charset=utf-8');
  responseHeaders.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers: responseHeaders });
}

/** Replaces every http(s) URL in `text` by its origin and path: presigned queries carry credentials. */
export function redactUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s"'<>]+/g, (match) => {
    try {
      const url = new URL(match);
      return `${url.origin}${url.pathname}`;
    } catch {
      return '[url]';
    }
  });
}

/** Refuses a body that is not `application/json` (415), so that no simple cross-site request can reach a JSON route. */
function requireJson(request: Request): void {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, ServerErrorCode.UnsupportedMediaType, 'This route takes an application/json body.');
  }
}

/**
 * Reads the request body as a JSON object, refusing any other content type (415 `unsupported-media-type`), more than
 * `maxBytes` (413 `body-too-large`) and anything that is not a JSON object (400 `invalid-json`).
 */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  requireJson(request);
  const text = await readText(request, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, ServerErrorCode.InvalidJson, 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, ServerErrorCode.InvalidJson, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length'));
  if (declared > maxBytes) throw bodyTooLarge(maxBytes);
  const bytes = await readLimitedBytes(request.body, maxBytes, () => bodyTooLarge(maxBytes));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, ServerErrorCode.InvalidJson, 'The request body is not UTF-8 text.');
  }
}

/** Reads a whole body of at most `maxBytes`; past that it stops reading and throws `tooLarge()`. */
export async function readLimitedBytes(body: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, ServerErrorCode.BodyTooLarge, `The request body is larger than ${maxBytes} bytes.`);
}
