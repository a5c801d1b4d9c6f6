import {
  base64ToBytes,
  concatBytes,
  hexToBytes,
  md5Hex,
  S3_CHECKSUM_ALGORITHMS,
  S3_CHECKSUM_BYTES,
  S3_CHECKSUM_NAMES,
  s3Checksum,
  type S3ChecksumAlgorithm,
} from './checksums.js';
import { FaultKind, type FaultTarget } from './faults.js';
import { checkPostPolicy, signPostPolicy, verifyPostSignature } from './s3-post-policy.js';
import { parseQuery, presignUrl, sha256Hex, UNSIGNED_PAYLOAD, uriEncode, verifySigV4, type SigV4Credentials } from './sigv4.js';
import { hasXmlRoot, xmlDocument, xmlElements, xmlText, type XmlChild } from './xml.js';
import { corsHeaders, EmulatorBase, objectStoreFailure, randomHex, serveWithFaults, XmlRefusal, type EmulatorOptions } from './emulator.js';

/** Options of {@link S3Emulator}. */
export interface S3EmulatorOptions extends EmulatorOptions {
  /** Where the emulator is mounted on its origin, e.g. `/emulator/s3`; URLs are `{origin}{basePath}/{bucket}/{key}`. */
  basePath: string;
  bucket: string;
  /** The one key pair the emulator accepts. */
  credentials: SigV4Credentials;
  /** Defaults to `us-east-1`. */
  region?: string;
  /** `false` emulates a bucket whose CORS rule forgets to expose `ETag`. Defaults to `true`. */
  exposeETag?: boolean;
  /** The smallest non-last part Complete accepts; AWS's 5 MiB unless a test needs smaller. */
  minPartSize?: number;
  /** The largest part or PutObject body; AWS's 5 GiB unless a test needs smaller. */
  maxPartSize?: number;
}

/** The operations the emulator serves, named as in the S3 API. */
export const S3Operation = {
  CreateMultipartUpload: 'CreateMultipartUpload',
  UploadPart: 'UploadPart',
  PutObject: 'PutObject',
  /** A browser form upload under a POST policy (the bucket URL, `multipart/form-data`). */
  PostObject: 'PostObject',
  ListParts: 'ListParts',
  CompleteMultipartUpload: 'CompleteMultipartUpload',
  AbortMultipartUpload: 'AbortMultipartUpload',
  GetObject: 'GetObject',
  HeadObject: 'HeadObject',
  DeleteObject: 'DeleteObject',
} as const;

/** One of {@link S3Operation}. */
export type S3Operation = (typeof S3Operation)[keyof typeof S3Operation];

/** Counts of successful operations since the last reset. */
export interface S3EmulatorStats {
  uploadPart: number;
  putObject: number;
  postObject: number;
  create: number;
  complete: number;
  abort: number;
  listParts: number;
  /** Part numbers of every stored part, in arrival order (a re-sent part appears again). */
  partNumbersReceived: number[];
}

/** An upload in progress, as tests see it. */
export interface S3PendingUpload {
  uploadId: string;
  key: string;
  partNumbers: number[];
}

/** What {@link S3Emulator.presign} signs. */
export interface S3PresignRequest {
  method: string;
  key: string;
  /** Operation parameters (`uploads: ''`, `partNumber`, `uploadId`, …); `x-id` is added as the AWS SDK adds it. */
  query?: Record<string, string>;
  /** Seconds. */
  expiresIn: number;
  /** Headers to sign besides `host`; the client must send them with these exact values. */
  headers?: Record<string, string>;
}

/** What {@link S3Emulator.presignPost} signs: one key, with each field bound exactly. */
export interface S3PresignPostRequest {
  key: string;
  /** Form fields besides the signature's own, such as `Content-Type` or `Content-MD5`. */
  fields?: Record<string, string>;
  /** Further policy conditions, such as `["content-length-range", 0, 100]`. */
  conditions?: unknown[];
  /** Seconds. */
  expiresIn: number;
}

/** A form upload as the policy allowed it. */
interface PostedObject {
  key: string;
  fields: Map<string, string>;
  bytes: Uint8Array<ArrayBuffer>;
}

/** AWS limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
const MAX_LIST_PARTS = 1000;
const MAX_KEY_BYTES = 1024;
/** What the fields before the file of a POST may add up to. */
const MAX_POST_PRE_DATA_BYTES = 20 * 1024;
/** Room for the form's fields and boundaries around the largest file a POST may carry. */
const MAX_POST_FORM_OVERHEAD = 64 * 1024;

/** HTTP status of each S3 error code the emulator sends. */
const ERROR_STATUS: Record<string, number> = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  InvalidAccessKeyId: 403,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
  BadDigest: 400,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  InternalError: 500,
  InvalidArgument: 400,
  IncorrectNumberOfFilesInPostRequest: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidPolicyDocument: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  KeyTooLongError: 400,
  MalformedPOSTRequest: 400,
  MalformedXML: 400,
  MaxPostPreDataLengthExceededError: 400,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
};

const NO_SUCH_UPLOAD_MESSAGE =
  'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';

/** Operations for which the AWS SDK puts `x-id=<Operation>` into the (signed) query. */
const X_ID_OPERATIONS: ReadonlySet<S3Operation> = new Set([
  S3Operation.UploadPart,
  S3Operation.PutObject,
  S3Operation.ListParts,
  S3Operation.AbortMultipartUpload,
  S3Operation.GetObject,
  S3Operation.DeleteObject,
]);

/** Checksum-related headers that are not checksums themselves. */
const CHECKSUM_CONTROL_HEADERS = new Set(['x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-checksum-mode']);

interface StoredPart {
  bytes: Uint8Array;
  md5Hex: string;
  lastModified: number;
  checksums: Partial<Record<S3ChecksumAlgorithm, string>>;
}

interface Upload {
  key: string;
  contentType: string;
  initiated: number;
  parts: Map<number, StoredPart>;
}

interface StoredObject {
  bytes: Uint8Array;
  etag: string;
  contentType: string;
  lastModified: number;
  checksums: Partial<Record<S3ChecksumAlgorithm, string>>;
}

/** One request being served: what every step needs to know. */
interface Exchange {
  request: Request;
  url: URL;
  key: string;
  query: Map<string, string>;
  operation: S3Operation;
  target: FaultTarget;
}

/** An S3 error, thrown inside the emulator and written as S3's XML at the top; the status follows from the code. */
class S3Refusal extends XmlRefusal {
  constructor(code: string, message: string, details: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(ERROR_STATUS[code] ?? 400, code, message, headers, Object.entries(details));
  }
}

/** S3's limit on a key, in UTF-8 bytes, for a key in the path and a key in a POST form alike. */
function refuseLongKey(key: string): void {
  if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) throw new S3Refusal('KeyTooLongError', 'Your key is too long');
}

function encodeKey(key: string): string {
  return uriEncode(key, true);
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}


function checksumChildren(checksums: Partial<Record<S3ChecksumAlgorithm, string>>): XmlChild[] {
  return Object.entries(checksums).map(([algorithm, value]) => [
    `Checksum${S3_CHECKSUM_NAMES[algorithm as S3ChecksumAlgorithm]}`,
    value,
  ]);
}

function checksumHeaders(checksums: Partial<Record<S3ChecksumAlgorithm, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([algorithm, value]) => [`x-amz-checksum-${algorithm}`, value]));
}

/**
 * A strict, in-memory S3 bucket as a Fetch handler: it checks SigV4 signatures, expiry, part limits, part order,
 * ETags and digests the way S3 does and answers with S3's XML errors, so an adapter that passes here is not relying on
 * leniency. Runs unchanged in a page (under msw) and in Node.
 */
export class S3Emulator extends EmulatorBase<S3EmulatorStats> {
  readonly bucket: string;
  readonly region: string;

  #credentials: SigV4Credentials;
  #exposeETag: boolean;
  #minPartSize: number;
  #maxPartSize: number;
  #uploads = new Map<string, Upload>();
  #objects = new Map<string, StoredObject>();

  constructor(options: S3EmulatorOptions) {
    super(options, () => ({ uploadPart: 0, putObject: 0, postObject: 0, create: 0, complete: 0, abort: 0, listParts: 0, partNumbersReceived: [] }));
    this.bucket = options.bucket;
    this.region = options.region ?? 'us-east-1';
    this.#credentials = { ...options.credentials };
    this.#exposeETag = options.exposeETag ?? true;
    this.#minPartSize = options.minPartSize ?? MIN_PART_SIZE;
    this.#maxPartSize = options.maxPartSize ?? MAX_PART_SIZE;
  }

  protected override newRequestId(): string {
    return randomHex(8).toUpperCase();
  }

  protected override answerHeaders(request: Request, requestId: string): Record<string, string> {
    return { 'x-amz-request-id': requestId, 'x-amz-id-2': randomHex(24), ...this.#corsHeaders(request) };
  }

  /** A SigV4 query-signed URL for a request to this emulator, the same scheme as the AWS SDK's presigner. */
  async presign(input: S3PresignRequest): Promise<string> {
    const query = { ...input.query };
    const operation = operationOf(input.method.toUpperCase(), new Map(Object.entries(query)));
    if (operation && X_ID_OPERATIONS.has(operation) && query['x-id'] === undefined) query['x-id'] = operation;
    const search = Object.entries(query)
      .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
      .join('&');
    const url = `${this.urlOrigin()}${this.basePath}/${this.bucket}/${encodeKey(input.key)}${search ? `?${search}` : ''}`;
    const presignInput = {
      method: input.method.toUpperCase(),
      url,
      credentials: this.#credentials,
      region: this.region,
      expiresIn: input.expiresIn,
      now: this.now(),
    };
    return presignUrl(input.headers ? { ...presignInput, headers: input.headers } : presignInput);
  }

  /** The fields of a SigV4 POST policy for this bucket, what the AWS SDK's `createPresignedPost` answers. */
  presignPost(input: S3PresignPostRequest): Promise<Record<string, string>> {
    return signPostPolicy({
      credentials: this.#credentials,
      region: this.region,
      bucket: this.bucket,
      key: input.key,
      fields: input.fields ?? {},
      conditions: input.conditions ?? [],
      expiresIn: input.expiresIn,
      now: this.now(),
    });
  }

  /** The URL a POST policy's form goes to: the bucket, path-style. */
  bucketUrl(): string {
    return `${this.urlOrigin()}${this.basePath}/${this.bucket}`;
  }

  /** A copy of a stored object's bytes, or `undefined`. */
  storedBytes(key: string): Uint8Array<ArrayBuffer> | undefined {
    const stored = this.#objects.get(key);
    return stored ? stored.bytes.slice() : undefined;
  }

  /** The multipart uploads neither completed nor aborted. */
  pending(): S3PendingUpload[] {
    return [...this.#uploads].map(([uploadId, upload]) => ({
      uploadId,
      key: upload.key,
      partNumbers: [...upload.parts.keys()].sort((a, b) => a - b),
    }));
  }

  protected forget(): void {
    this.#uploads.clear();
    this.#objects.clear();
  }

  #corsHeaders(request: Request): Record<string, string> {
    // Retry-After is what a bucket owner adds to the rule so that the page can honour SlowDown's wait.
    const exposed = [
      'x-amz-request-id',
      'x-amz-id-2',
      'x-amz-version-id',
      'Retry-After',
      ...S3_CHECKSUM_ALGORITHMS.map((a) => `x-amz-checksum-${a}`),
    ];
    if (this.#exposeETag) exposed.unshift('ETag');
    return corsHeaders(request, { methods: 'GET, PUT, POST, DELETE, HEAD', exposed });
  }

  protected async serve(request: Request): Promise<Response> {
    if (request.method === 'OPTIONS') return new Response(null, { status: 200 });
    const exchange = this.#parse(request);
    const { operation, target } = exchange;

    let body = new Uint8Array();
    let posted: PostedObject | undefined;
    const uploadId = exchange.query.get('uploadId');
    return serveWithFaults({
      faults: this.faults,
      request,
      target,
      authenticate: async () => {
        const carriesEntity = operation === S3Operation.UploadPart || operation === S3Operation.PutObject;
        const declared = Number(request.headers.get('content-length') ?? 0);
        // Refuse before reading: nobody should have to stream 5 GiB into memory to learn it is too much.
        if (carriesEntity && declared > this.#maxPartSize) this.#tooLarge(declared);
        if (operation === S3Operation.PostObject && declared > this.#maxPartSize + MAX_POST_FORM_OVERHEAD) this.#tooLarge(declared);
        if (request.method === 'PUT' || request.method === 'POST') body = new Uint8Array(await request.arrayBuffer());
        if (carriesEntity && body.byteLength > this.#maxPartSize) this.#tooLarge(body.byteLength);
        if (operation === S3Operation.PostObject) {
          posted = await this.#readPostForm(request, body, target);
          return;
        }
        await this.#authenticate(exchange, body);
        await this.#checkContentMd5(request.headers.get('content-md5'), body);
      },
      ...(uploadId !== undefined && { forgetSession: () => this.#uploads.delete(uploadId) }),
      fail: (status, retryAfter, asked) => {
        const { code, message, headers } = objectStoreFailure(status, retryAfter, asked);
        throw new S3Refusal(code, message, {}, headers);
      },
      serve: () => this.#dispatch(exchange, body, posted),
    });
  }

  /** Serves the request; `posted` is a POST Object form as authentication read it. */
  async #dispatch(exchange: Exchange, body: Uint8Array<ArrayBuffer>, posted: PostedObject | undefined): Promise<Response> {
    switch (exchange.operation) {
      case S3Operation.CreateMultipartUpload:
        return this.#create(exchange);
      case S3Operation.UploadPart:
        return this.#uploadPart(exchange, body);
      case S3Operation.PutObject:
        return this.#putObject(exchange, body);
      case S3Operation.PostObject:
        return this.#postObject(exchange, posted as PostedObject);
      case S3Operation.ListParts:
        return this.#listParts(exchange);
      case S3Operation.CompleteMultipartUpload:
        return this.#complete(exchange, body);
      case S3Operation.AbortMultipartUpload:
        return this.#abort(exchange);
      case S3Operation.GetObject:
      case S3Operation.HeadObject:
        return this.#getObject(exchange);
      case S3Operation.DeleteObject:
        this.#objects.delete(exchange.key);
        return new Response(null, { status: 204 });
    }
  }

  #parse(request: Request): Exchange {
    const url = new URL(request.url);
    const prefix = `${this.basePath}/`;
    if (!url.pathname.startsWith(prefix)) {
      throw new S3Refusal('NotImplemented', 'A header you provided implies functionality that is not implemented');
    }
    const rest = url.pathname.slice(prefix.length);
    const slash = rest.indexOf('/');
    let bucket: string;
    let key: string;
    try {
      bucket = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
      key = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
    } catch {
      throw new S3Refusal('InvalidArgument', 'The path is not valid percent-encoded UTF-8');
    }
    if (bucket !== this.bucket) {
      throw new S3Refusal('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    }
    const query = new Map(parseQuery(url.search));
    const operation = key === '' ? bucketOperationOf(request.method, query) : operationOf(request.method, query);
    if (!operation) {
      throw new S3Refusal('NotImplemented', `${request.method} ${key === '' ? 'on the bucket' : 'with these parameters'} ` +
        'is not implemented by this emulator');
    }
    refuseLongKey(key);
    const partNumberText = query.get('partNumber');
    const partNumber = partNumberText !== undefined && /^\d+$/.test(partNumberText) ? Number(partNumberText) : undefined;
    const target: FaultTarget = partNumber === undefined ? { operation, key } : { operation, key, partNumber };
    return { request, url, key, query, operation, target };
  }

  #tooLarge(size: number): never {
    throw new S3Refusal('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: String(size),
      MaxSizeAllowed: String(this.#maxPartSize),
    });
  }

  async #authenticate(exchange: Exchange, body: Uint8Array): Promise<void> {
    const presigned = exchange.query.has('X-Amz-Signature');
    const forceExpired = presigned && this.faults.take(FaultKind.Expire, exchange.target) !== undefined;
    const result = await verifySigV4(exchange.request, {
      secretFor: (accessKeyId) =>
        accessKeyId === this.#credentials.accessKeyId ? this.#credentials.secretAccessKey : undefined,
      region: this.region,
      now: this.now(),
      forceExpired,
    });
    if (!result.ok) throw new S3Refusal(result.code, result.message, result.details);
    const declared = result.payloadHash;
    if (declared === UNSIGNED_PAYLOAD) return;
    if (declared.startsWith('STREAMING-')) {
      throw new S3Refusal('NotImplemented', `x-amz-content-sha256 ${declared} (aws-chunked) is not implemented by this emulator`);
    }
    if (!/^[0-9a-f]{64}$/.test(declared)) {
      throw new S3Refusal('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…, or a valid ' +
        'sha256 value.');
    }
    const computed = await sha256Hex(body);
    if (computed !== declared) {
      throw new S3Refusal('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match " +
        'what was computed.', { ClientComputedContentSHA256: declared, S3ComputedContentSHA256: computed });
    }
  }

  async #checkContentMd5(header: string | null | undefined, body: Uint8Array): Promise<void> {
    if (header === null || header === undefined) return;
    const digest = base64ToBytes(header.trim());
    if (!digest || digest.byteLength !== 16) {
      throw new S3Refusal('InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': header });
    }
    const expected = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    const computed = await md5Hex(body);
    if (expected !== computed) {
      throw new S3Refusal('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: expected,
        CalculatedDigest: computed,
      });
    }
  }

  /**
   * Verifies the one `x-amz-checksum-*` header a PUT may carry, and returns it to be stored and echoed. Checksums the
   * AWS SDK hoists into a presigned URL's query (`x-amz-checksum-crc32=AAAAAA==`, the CRC of an empty body) are not
   * checked, as S3 does not check them (localstack/localstack#12169); only headers are.
   */
  async #verifyChecksum(
    headers: { keys(): Iterable<string>; get(name: string): string | null | undefined },
    body: Uint8Array,
  ): Promise<Partial<Record<S3ChecksumAlgorithm, string>>> {
    const names = [...headers.keys()].filter(
      (name) => name.startsWith('x-amz-checksum-') && !CHECKSUM_CONTROL_HEADERS.has(name),
    );
    const sdkAlgorithm = headers.get('x-amz-sdk-checksum-algorithm')?.toLowerCase() ?? undefined;
    if (names.length === 0) {
      if (sdkAlgorithm !== undefined) {
        throw new S3Refusal('InvalidRequest', 'x-amz-sdk-checksum-algorithm specified, but no corresponding ' +
          'x-amz-checksum-* or x-amz-trailer headers were found.');
      }
      return {};
    }
    if (names.length > 1) {
      throw new S3Refusal('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are ' +
        'not allowed.');
    }
    const name = names[0] as string;
    const algorithm = name.slice('x-amz-checksum-'.length);
    if (!(S3_CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new S3Refusal('InvalidRequest', `Value for ${name} header is invalid.`);
    }
    const known = algorithm as S3ChecksumAlgorithm;
    if (sdkAlgorithm !== undefined && sdkAlgorithm !== known) {
      throw new S3Refusal('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
    }
    const value = (headers.get(name) as string).trim();
    if (base64ToBytes(value)?.byteLength !== S3_CHECKSUM_BYTES[known]) {
      throw new S3Refusal('InvalidRequest', `Value for ${name} header is invalid.`);
    }
    const computed = await s3Checksum(known, body);
    if (computed !== value) {
      throw new S3Refusal('BadDigest', `The ${S3_CHECKSUM_NAMES[known]} you specified did not match the calculated ` +
        'checksum.');
    }
    return { [known]: value };
  }

  #upload(exchange: Exchange): [string, Upload] {
    const uploadId = exchange.query.get('uploadId') ?? '';
    const upload = this.#uploads.get(uploadId);
    // An upload id only names an upload together with its key, as on S3.
    if (!upload || upload.key !== exchange.key) {
      throw new S3Refusal('NoSuchUpload', NO_SUCH_UPLOAD_MESSAGE, { UploadId: uploadId });
    }
    return [uploadId, upload];
  }

  #xml(root: string, children: XmlChild[], status = 200): Response {
    return new Response(xmlDocument(root, children), { status, headers: { 'content-type': 'application/xml' } });
  }

  #create(exchange: Exchange): Response {
    const uploadId = `${randomHex(16)}.${randomHex(8)}`;
    this.#uploads.set(uploadId, {
      key: exchange.key,
      contentType: exchange.request.headers.get('content-type') ?? 'binary/octet-stream',
      initiated: this.now(),
      parts: new Map(),
    });
    this.stats.create += 1;
    return this.#xml('InitiateMultipartUploadResult', [
      ['Bucket', this.bucket],
      ['Key', exchange.key],
      ['UploadId', uploadId],
    ]);
  }

  async #uploadPart(exchange: Exchange, body: Uint8Array): Promise<Response> {
    const text = exchange.query.get('partNumber') ?? '';
    const partNumber = exchange.target.partNumber;
    if (partNumber === undefined || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new S3Refusal('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
        ArgumentName: 'partNumber',
        ArgumentValue: text,
      });
    }
    const [, upload] = this.#upload(exchange);
    const checksums = await this.#verifyChecksum(exchange.request.headers, body);
    const digest = await md5Hex(body);
    upload.parts.set(partNumber, { bytes: body, md5Hex: digest, lastModified: this.now(), checksums });
    this.stats.uploadPart += 1;
    this.stats.partNumbersReceived.push(partNumber);
    return new Response(null, { status: 200, headers: { etag: `"${digest}"`, ...checksumHeaders(checksums) } });
  }

  async #putObject(exchange: Exchange, body: Uint8Array): Promise<Response> {
    const checksums = await this.#verifyChecksum(exchange.request.headers, body);
    const etag = `"${await md5Hex(body)}"`;
    this.#objects.set(exchange.key, {
      bytes: body,
      etag,
      contentType: exchange.request.headers.get('content-type') ?? 'binary/octet-stream',
      lastModified: this.now(),
      checksums,
    });
    this.stats.putObject += 1;
    return new Response(null, { status: 200, headers: { etag, ...checksumHeaders(checksums) } });
  }

  /**
   * Reads a POST Object form as S3 does: the fields before the file (any after it are ignored), the signature over the
   * policy, and the policy's conditions on every field and on the file's size.
   */
  async #readPostForm(request: Request, body: Uint8Array<ArrayBuffer>, target: FaultTarget): Promise<PostedObject> {
    const type = request.headers.get('content-type') ?? '';
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      throw new S3Refusal('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'Bucket POST must be of the enclosure-type multipart/form-data',
      });
    }
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': type } }).formData();
    } catch {
      throw new S3Refusal('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
    }
    const fields = new Map<string, string>();
    let file: File | string | undefined;
    let preData = 0;
    for (const [name, value] of form) {
      if (name.toLowerCase() === 'file') {
        file = value;
        break;
      }
      if (typeof value !== 'string') {
        throw new S3Refusal('IncorrectNumberOfFilesInPostRequest', 'POST requires exactly one file upload per request.');
      }
      preData += new TextEncoder().encode(name + value).byteLength;
      fields.set(name.toLowerCase(), value);
    }
    if (preData > MAX_POST_PRE_DATA_BYTES) {
      throw new S3Refusal('MaxPostPreDataLengthExceededError', 'Your POST request fields preceeding the upload file was too large.');
    }
    if (file === undefined) {
      throw new S3Refusal('IncorrectNumberOfFilesInPostRequest', 'POST requires exactly one file upload per request.');
    }
    const rawKey = fields.get('key');
    if (rawKey === undefined) {
      throw new S3Refusal('InvalidArgument', "Bucket POST must contain a field named 'key'.  If it is specified, please " +
        'check the order of the fields.', { ArgumentName: 'key', ArgumentValue: '' });
    }
    const policy = fields.get('policy');
    // A form without a policy is anonymous, and this bucket is not writable by anyone.
    if (policy === undefined) throw new S3Refusal('AccessDenied', 'Access Denied');
    const badSignature = await verifyPostSignature(fields, this.region, (accessKeyId) =>
      accessKeyId === this.#credentials.accessKeyId ? this.#credentials.secretAccessKey : undefined,
    );
    if (badSignature) throw new S3Refusal(badSignature.code, badSignature.message, badSignature.details);
    const bytes = typeof file === 'string' ? new TextEncoder().encode(file) : new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > this.#maxPartSize) this.#tooLarge(bytes.byteLength);
    const expired = this.faults.take(FaultKind.Expire, target) !== undefined;
    const refused = checkPostPolicy(policy, fields, bytes.byteLength, this.bucket, expired ? Infinity : this.now());
    if (refused) throw new S3Refusal(refused.code, refused.message, refused.details);
    const key = rawKey.replaceAll('${filename}', typeof file === 'string' ? '' : file.name);
    if (key === '') {
      throw new S3Refusal('InvalidArgument', 'User key must have a length greater than 0.', { ArgumentName: 'key', ArgumentValue: '' });
    }
    refuseLongKey(key);
    return { key, fields, bytes };
  }

  /** Stores what a POST Object form carried, after its digests, and answers as `success_action_status` asks. */
  async #postObject(exchange: Exchange, posted: PostedObject): Promise<Response> {
    const { key, fields, bytes } = posted;
    await this.#checkContentMd5(fields.get('content-md5'), bytes);
    const checksums = await this.#verifyChecksum(fields, bytes);
    const etag = `"${await md5Hex(bytes)}"`;
    this.#objects.set(key, {
      bytes,
      etag,
      contentType: fields.get('content-type') ?? 'binary/octet-stream',
      lastModified: this.now(),
      checksums,
    });
    this.stats.postObject += 1;
    const location = `${exchange.url.origin}${this.basePath}/${this.bucket}/${encodeKey(key)}`;
    const headers = { etag, location, ...checksumHeaders(checksums) };
    const status = fields.get('success_action_status');
    if (status === '201') {
      const xml = xmlDocument('PostResponse', [
        ['Location', location],
        ['Bucket', this.bucket],
        ['Key', key],
        ['ETag', etag],
      ]);
      return new Response(xml, { status: 201, headers: { ...headers, 'content-type': 'application/xml' } });
    }
    return new Response(null, { status: status === '200' ? 200 : 204, headers });
  }

  #listParts(exchange: Exchange): Response {
    const [uploadId, upload] = this.#upload(exchange);
    const maxText = exchange.query.get('max-parts');
    const markerText = exchange.query.get('part-number-marker');
    if (maxText !== undefined && !/^\d+$/.test(maxText)) {
      throw new S3Refusal('InvalidArgument', 'Provided max-parts not an integer or within integer range', {
        ArgumentName: 'max-parts',
        ArgumentValue: maxText,
      });
    }
    if (markerText !== undefined && !/^\d+$/.test(markerText)) {
      throw new S3Refusal('InvalidArgument', 'Provided part-number-marker not an integer or within integer range', {
        ArgumentName: 'part-number-marker',
        ArgumentValue: markerText,
      });
    }
    const maxParts = Math.min(maxText === undefined ? MAX_LIST_PARTS : Number(maxText), MAX_LIST_PARTS);
    const marker = markerText === undefined ? 0 : Number(markerText);
    const after = [...upload.parts].filter(([n]) => n > marker).sort(([a], [b]) => a - b);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    const owner: XmlChild[] = [
      ['ID', 'emulator'],
      ['DisplayName', 'emulator'],
    ];
    this.stats.listParts += 1;
    return this.#xml('ListPartsResult', [
      ['Bucket', this.bucket],
      ['Key', exchange.key],
      ['UploadId', uploadId],
      ['PartNumberMarker', marker],
      ['NextPartNumberMarker', page.length > 0 ? (page[page.length - 1] as [number, StoredPart])[0] : marker],
      ['MaxParts', maxParts],
      ['IsTruncated', truncated],
      ...page.map(([n, part]): XmlChild => [
        'Part',
        [
          ['PartNumber', n],
          ['LastModified', new Date(part.lastModified).toISOString()],
          ['ETag', `"${part.md5Hex}"`],
          ['Size', part.bytes.byteLength],
          ...checksumChildren(part.checksums),
        ],
      ]),
      ['Initiator', owner],
      ['Owner', owner],
      ['StorageClass', 'STANDARD'],
    ]);
  }

  async #complete(exchange: Exchange, body: Uint8Array): Promise<Response> {
    const [uploadId, upload] = this.#upload(exchange);
    const listed = parseCompleteBody(new TextDecoder().decode(body));
    for (let i = 1; i < listed.length; i += 1) {
      if ((listed[i] as ListedPart).partNumber <= (listed[i - 1] as ListedPart).partNumber) {
        throw new S3Refusal('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered ' +
          'by part number.', { UploadId: uploadId });
      }
    }
    const parts = listed.map(({ partNumber, etag }) => {
      const part = upload.parts.get(partNumber);
      if (!part || unquote(etag) !== part.md5Hex) {
        throw new S3Refusal('InvalidPart', 'One or more of the specified parts could not be found.  The part may not ' +
          "have been uploaded, or the specified entity tag may not match the part's entity tag.", {
          UploadId: uploadId,
          PartNumber: String(partNumber),
          ETag: etag,
        });
      }
      return { partNumber, part };
    });
    parts.slice(0, -1).forEach(({ partNumber, part }) => {
      if (part.bytes.byteLength < this.#minPartSize) {
        throw new S3Refusal('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          ProposedSize: String(part.bytes.byteLength),
          MinSizeAllowed: String(this.#minPartSize),
          PartNumber: String(partNumber),
          ETag: `"${part.md5Hex}"`,
        });
      }
    });
    const etag = `"${await md5Hex(concatBytes(parts.map(({ part }) => hexToBytes(part.md5Hex))))}-${parts.length}"`;
    this.#objects.set(exchange.key, {
      bytes: concatBytes(parts.map(({ part }) => part.bytes)),
      etag,
      contentType: upload.contentType,
      lastModified: this.now(),
      checksums: {},
    });
    this.#uploads.delete(uploadId);
    this.stats.complete += 1;
    return this.#xml('CompleteMultipartUploadResult', [
      ['Location', `${exchange.url.origin}${this.basePath}/${this.bucket}/${encodeKey(exchange.key)}`],
      ['Bucket', this.bucket],
      ['Key', exchange.key],
      ['ETag', etag],
    ]);
  }

  #abort(exchange: Exchange): Response {
    const [uploadId] = this.#upload(exchange);
    this.#uploads.delete(uploadId);
    this.stats.abort += 1;
    return new Response(null, { status: 204 });
  }

  #getObject(exchange: Exchange): Response {
    const stored = this.#objects.get(exchange.key);
    if (!stored) throw new S3Refusal('NoSuchKey', 'The specified key does not exist.', { Key: exchange.key });
    const size = stored.bytes.byteLength;
    const headers: Record<string, string> = {
      etag: stored.etag,
      'content-type': stored.contentType,
      'last-modified': httpDate(stored.lastModified),
      'accept-ranges': 'bytes',
      ...checksumHeaders(stored.checksums),
    };
    const range = exchange.request.headers.get('range');
    let bytes = stored.bytes;
    let status = 200;
    if (range !== null) {
      const span = parseRange(range, size);
      if (!span) {
        throw new S3Refusal('InvalidRange', 'The requested range is not satisfiable', {
          RangeRequested: range,
          ActualObjectSize: String(size),
        });
      }
      bytes = stored.bytes.subarray(span[0], span[1] + 1);
      status = 206;
      headers['content-range'] = `bytes ${span[0]}-${span[1]}/${size}`;
    }
    headers['content-length'] = String(bytes.byteLength);
    const body = exchange.operation === S3Operation.HeadObject ? null : bytes.slice();
    return new Response(body, { status, headers });
  }
}

/** What a request on the bucket itself names: only a POST Object form is served there. */
function bucketOperationOf(method: string, query: Map<string, string>): S3Operation | undefined {
  return method === 'POST' && query.size === 0 ? S3Operation.PostObject : undefined;
}

/** Which operation a method plus query parameters name, or `undefined` for anything the emulator does not serve. */
function operationOf(method: string, query: Map<string, string>): S3Operation | undefined {
  const hasUploadId = query.has('uploadId');
  switch (method) {
    case 'POST':
      if (query.has('uploads')) return S3Operation.CreateMultipartUpload;
      return hasUploadId ? S3Operation.CompleteMultipartUpload : undefined;
    case 'PUT':
      if (query.has('partNumber') || hasUploadId) return S3Operation.UploadPart;
      return S3Operation.PutObject;
    case 'GET':
      return hasUploadId ? S3Operation.ListParts : S3Operation.GetObject;
    case 'HEAD':
      return S3Operation.HeadObject;
    case 'DELETE':
      return hasUploadId ? S3Operation.AbortMultipartUpload : S3Operation.DeleteObject;
    default:
      return undefined;
  }
}

interface ListedPart {
  partNumber: number;
  etag: string;
}

function parseCompleteBody(xml: string): ListedPart[] {
  const malformed = (): S3Refusal =>
    new S3Refusal('MalformedXML', 'The XML you provided was not well-formed or did not validate against our ' +
      'published schema');
  if (!hasXmlRoot(xml, 'CompleteMultipartUpload')) throw malformed();
  const parts = xmlElements(xml, 'Part').map((inner) => {
    const partNumber = xmlText(inner, 'PartNumber');
    const etag = xmlText(inner, 'ETag');
    if (partNumber === undefined || !/^\d+$/.test(partNumber) || etag === undefined) throw malformed();
    return { partNumber: Number(partNumber), etag };
  });
  if (parts.length === 0) throw malformed();
  return parts;
}

/** A single `bytes=` range as inclusive offsets, or `undefined` when it cannot be satisfied. */
function parseRange(header: string, size: number): [number, number] | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? undefined : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? undefined : [start, end];
}
