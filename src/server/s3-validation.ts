import { HttpError, ServerErrorCode } from './http-json.js';

/** S3's limits on keys and part numbers (AWS documentation). */
export const S3_LIMITS = { maxKeyBytes: 1024, maxPartNumber: 10_000 } as const;

/** The flexible-checksum algorithms S3 verifies on UploadPart and PutObject. */
export const CHECKSUM_ALGORITHMS = {
  CRC32: { header: 'x-amz-checksum-crc32', field: 'ChecksumCRC32', bytes: 4 },
  CRC32C: { header: 'x-amz-checksum-crc32c', field: 'ChecksumCRC32C', bytes: 4 },
  SHA1: { header: 'x-amz-checksum-sha1', field: 'ChecksumSHA1', bytes: 20 },
  SHA256: { header: 'x-amz-checksum-sha256', field: 'ChecksumSHA256', bytes: 32 },
  CRC64NVME: { header: 'x-amz-checksum-crc64nvme', field: 'ChecksumCRC64NVME', bytes: 8 },
} as const;
/** One of S3's flexible-checksum algorithm names. */
export type ChecksumAlgorithmName = keyof typeof CHECKSUM_ALGORITHMS;
type ChecksumField = (typeof CHECKSUM_ALGORITHMS)[ChecksumAlgorithmName]['field'];

/** One part of a CompleteMultipartUpload, as the page sent it, checked. */
export type CompletedPart = { PartNumber: number; ETag: string } & Partial<Record<ChecksumField, string>>;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_FILENAME_BYTES = 1024;
const MAX_ETAG_LENGTH = 1024;
const encoder = new TextEncoder();

/** Checks the shape of an object key from the page; whose key it is, is the handler's check. */
export function validateKey(key: string | null): string {
  if (key === null || key === '') throw invalid(ServerErrorCode.InvalidKey, 'The key query parameter is required.');
  checkKeyShape(key);
  return key;
}

/** Throws `invalid-key` for a key that is too long or could be read as another path. */
export function checkKeyShape(key: string): void {
  if (encoder.encode(key).byteLength > S3_LIMITS.maxKeyBytes) {
    throw invalid(ServerErrorCode.InvalidKey, `The key is longer than ${S3_LIMITS.maxKeyBytes} bytes.`);
  }
  if (CONTROL_CHARS.test(key)) throw invalid(ServerErrorCode.InvalidKey, 'The key holds control characters.');
  if (key.includes('\\')) throw invalid(ServerErrorCode.InvalidKey, 'The key holds a backslash.');
  if (key.startsWith('/')) throw invalid(ServerErrorCode.InvalidKey, 'The key starts with a slash.');
  // URL parsers (the browser's included) fold "." and ".." segments away, so the page would PUT to another key.
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw invalid(ServerErrorCode.InvalidKey, 'The key holds a "." or ".." segment.');
  }
}

/**
 * Checks an upload id taken from the path. S3 and the compatible stores issue base64, base64url, hex or UUID-like
 * ids; anything with URL syntax (`?`, `&`, `#`, `%`) or spaces is refused.
 */
export function validateUploadId(raw: string): string {
  let uploadId: string;
  try {
    uploadId = decodeURIComponent(raw);
  } catch {
    throw invalid(ServerErrorCode.InvalidUploadId, 'The upload id is not valid percent-encoding.');
  }
  if (!/^[A-Za-z0-9._~+=/:-]{1,1024}$/.test(uploadId)) {
    throw invalid(ServerErrorCode.InvalidUploadId, 'The upload id is empty or holds unexpected characters.');
  }
  return uploadId;
}

/** Parses a part number: a plain decimal integer from 1 to 10,000. */
export function parsePartNumber(raw: string): number {
  const partNumber = /^[1-9]\d{0,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(partNumber <= S3_LIMITS.maxPartNumber)) {
    throw invalid(ServerErrorCode.InvalidPartNumber, `The part number must be an integer from 1 to ${S3_LIMITS.maxPartNumber}.`);
  }
  return partNumber;
}

/**
 * Parses `partNumbers=1,2,3`: distinct valid part numbers, at most `maxBatchSize` of them (400 `too-many-parts`
 * above), since each costs a signature and a few thousand block the event loop for seconds.
 */
export function parsePartNumbers(raw: string | null, maxBatchSize: number): number[] {
  const fail = (message: string) => invalid(ServerErrorCode.InvalidPartNumbers, message);
  if (raw === null || raw === '') throw fail('The partNumbers query parameter is required.');
  const items = raw.split(',');
  if (items.length > maxBatchSize) {
    throw invalid(ServerErrorCode.TooManyParts, `At most ${maxBatchSize} part numbers can be signed at once.`);
  }
  const partNumbers = new Set<number>();
  for (const item of items) {
    const partNumber = /^[1-9]\d{0,4}$/.test(item) ? Number(item) : Number.NaN;
    if (!(partNumber <= S3_LIMITS.maxPartNumber)) {
      throw fail(`Every part number must be an integer from 1 to ${S3_LIMITS.maxPartNumber}.`);
    }
    if (partNumbers.has(partNumber)) throw fail(`Part number ${partNumber} is listed twice.`);
    partNumbers.add(partNumber);
  }
  return [...partNumbers];
}

/** Checks the `parts` of a complete call: non-empty, strictly ascending part numbers, string ETags. */
export function parseCompletedParts(value: unknown): CompletedPart[] {
  const fail = (message: string) => invalid(ServerErrorCode.InvalidParts, message);
  if (!Array.isArray(value) || value.length === 0) throw fail('parts must be a non-empty array.');
  if (value.length > S3_LIMITS.maxPartNumber) throw fail(`parts holds more than ${S3_LIMITS.maxPartNumber} entries.`);
  let previous = 0;
  return value.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) throw fail(`parts[${index}] is not an object.`);
    const { PartNumber: partNumber, ETag: etag } = entry as Record<string, unknown>;
    if (!Number.isInteger(partNumber) || (partNumber as number) < 1 || (partNumber as number) > S3_LIMITS.maxPartNumber) {
      throw fail(`parts[${index}].PartNumber must be an integer from 1 to ${S3_LIMITS.maxPartNumber}.`);
    }
    if ((partNumber as number) <= previous) throw fail('parts must be in strictly ascending PartNumber order.');
    previous = partNumber as number;
    if (typeof etag !== 'string' || etag === '' || etag.length > MAX_ETAG_LENGTH || CONTROL_CHARS.test(etag)) {
      throw fail(`parts[${index}].ETag must be a non-empty string.`);
    }
    const part: CompletedPart = { PartNumber: partNumber as number, ETag: etag };
    for (const [algorithm, { field, bytes }] of Object.entries(CHECKSUM_ALGORITHMS)) {
      const checksum = (entry as Record<string, unknown>)[field];
      if (checksum === undefined) continue;
      if (typeof checksum !== 'string' || !isBase64OfLength(checksum, bytes)) {
        throw fail(`parts[${index}].${field} must be the base64 ${algorithm} of the part.`);
      }
      part[field] = checksum;
    }
    return part;
  });
}

/** Checks a filename: present, at most 1024 bytes, no control characters. */
export function validateFilename(filename: unknown): string {
  if (typeof filename !== 'string' || filename === '') {
    throw invalid(ServerErrorCode.InvalidFilename, 'filename is required.');
  }
  if (encoder.encode(filename).byteLength > MAX_FILENAME_BYTES) {
    throw invalid(ServerErrorCode.InvalidFilename, `filename is longer than ${MAX_FILENAME_BYTES} bytes.`);
  }
  if (CONTROL_CHARS.test(filename)) throw invalid(ServerErrorCode.InvalidFilename, 'filename holds control characters.');
  return filename;
}

/** Checks a content type; a missing or empty one becomes `application/octet-stream`. */
export function validateContentType(type: unknown): string {
  if (type === undefined || type === null || type === '') return 'application/octet-stream';
  if (typeof type !== 'string' || type.length > 255 || !/^[\w.+-]+\/[\w.+-]+(\s*;[\x20-\x7e]*)?$/.test(type)) {
    throw invalid(ServerErrorCode.InvalidType, 'type must be a MIME type such as "image/png".');
  }
  return type;
}

/** The type an object is stored with when its declared type would run as a page from the bucket's origin. */
const INERT_CONTENT_TYPE = 'application/octet-stream';

// The WHATWG MIME Sniffing standard's JavaScript MIME types: a browser runs any of them as script.
const JAVASCRIPT_TYPES = [
  'application/ecmascript',
  'application/javascript',
  'application/x-ecmascript',
  'application/x-javascript',
  'text/ecmascript',
  'text/javascript',
  'text/javascript1.0',
  'text/javascript1.1',
  'text/javascript1.2',
  'text/javascript1.3',
  'text/javascript1.4',
  'text/javascript1.5',
  'text/jscript',
  'text/livescript',
  'text/x-ecmascript',
  'text/x-javascript',
];
// multipart/x-mixed-replace: Chromium renders each HTML part of it as a document.
const ACTIVE_TYPES = new Set(['text/html', 'multipart/x-mixed-replace', ...JAVASCRIPT_TYPES]);

/** `type/subtype` of a content type, lower-cased, without parameters. */
function contentTypeEssence(type: string): string {
  return (type.split(';')[0] as string).trim().toLowerCase();
}

/**
 * Whether a browser opening an object of this type runs it as a page or script with the bucket's origin. Every XML
 * type counts (`text/xml`, `application/xml`, `image/svg+xml`, `application/xhtml+xml`, `application/rss+xml`, …):
 * browsers render any XML document, and `<script>` in the XHTML namespace runs inside it.
 */
function isActiveContentType(essence: string): boolean {
  return ACTIVE_TYPES.has(essence) || essence.endsWith('/xml') || essence.endsWith('+xml');
}

/** Checks an `allowedContentTypes` option: `type/subtype` or `type/*` entries, lower-cased. */
export function parseAllowedContentTypes(factory: string, types: readonly string[] | undefined): string[] | undefined {
  if (types === undefined) return undefined;
  if (!Array.isArray(types) || types.length === 0) throw new TypeError(`${factory}: allowedContentTypes must be a non-empty array.`);
  return types.map((type) => {
    if (typeof type !== 'string' || !/^[\w.+-]+\/([\w.+-]+|\*)$/.test(type)) {
      throw new TypeError(`${factory}: allowedContentTypes entries must be "type/subtype" or "type/*", not ${JSON.stringify(type)}.`);
    }
    return type.toLowerCase();
  });
}

/**
 * The content type to store an object with, from the one the page declared: refused (415 `type-not-allowed`) when
 * `allowed` is set and matches neither its exact type nor its `type/*`; {@link INERT_CONTENT_TYPE} when it is an
 * active type ({@link isActiveContentType}) that `allowed` does not name exactly, so that an uploaded page cannot
 * run with the bucket's origin; otherwise unchanged.
 */
export function storedContentType(type: string, allowed: readonly string[] | undefined): string {
  const essence = contentTypeEssence(type);
  if (allowed !== undefined && !allowed.includes(essence) && !allowed.includes(`${essence.split('/')[0]}/*`)) {
    throw new HttpError(415, ServerErrorCode.TypeNotAllowed, `Files of type ${essence} are not accepted here.`);
  }
  if (isActiveContentType(essence) && !allowed?.includes(essence)) return INERT_CONTENT_TYPE;
  return type;
}

/**
 * Normalizes Uppy-style metadata to strings. Null and nested values are dropped rather than refused, because Uppy
 * sends its whole `file.meta` (with `relativePath: null`) and a backend that worked with Companion must keep working.
 */
export function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(ServerErrorCode.InvalidMetadata, 'metadata must be an object.');
  }
  const metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry === 'string' || typeof entry === 'number' || typeof entry === 'boolean') metadata[name] = String(entry);
  }
  return metadata;
}

/**
 * Parses a declared file size: `undefined` when absent, 400 `invalid-size` if malformed, 413 `file-too-large` above
 * `maxFileSize`.
 */
export function parseDeclaredSize(size: unknown, maxFileSize: number | undefined): number | undefined {
  if (size === undefined || size === null || size === '') return undefined;
  const bytes = typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : size;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    throw invalid(ServerErrorCode.InvalidSize, 'size must be a non-negative integer number of bytes.');
  }
  if (maxFileSize !== undefined && bytes > maxFileSize) {
    throw new HttpError(413, ServerErrorCode.FileTooLarge, `The file is larger than the ${maxFileSize} bytes this server accepts.`);
  }
  return bytes;
}

/** 400 `size-required` for a missing size where `maxFileSize` can only be kept by signing the declared one. */
export function requireSize(size: number | undefined, maxFileSize: number | undefined): void {
  if (maxFileSize !== undefined && size === undefined) {
    throw invalid(ServerErrorCode.SizeRequired, `size is required: this server accepts files up to ${maxFileSize} bytes.`);
  }
}

/** Parses an optional checksum algorithm name (case-insensitive). */
export function parseChecksumAlgorithm(value: unknown): ChecksumAlgorithmName | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const name = typeof value === 'string' ? value.toUpperCase() : '';
  if (!Object.hasOwn(CHECKSUM_ALGORITHMS, name)) {
    throw invalid(ServerErrorCode.InvalidChecksum, `checksumAlgorithm must be one of ${Object.keys(CHECKSUM_ALGORITHMS).join(', ')}.`);
  }
  return name as ChecksumAlgorithmName;
}

/**
 * Reads `contentMd5` and `checksumAlgorithm` + `checksum` from a sign route's query and returns the headers the
 * presigned URL must sign, which are exactly the headers the page must then send.
 */
export function parseDigestHeaders(query: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = {};
  const contentMd5 = query.get('contentMd5');
  if (contentMd5 !== null) {
    if (!isBase64OfLength(contentMd5, 16)) {
      throw invalid(ServerErrorCode.InvalidChecksum, 'contentMd5 must be the base64 of a 16-byte MD5 digest.');
    }
    headers['content-md5'] = contentMd5;
  }
  const algorithm = parseChecksumAlgorithm(query.get('checksumAlgorithm'));
  const checksum = query.get('checksum');
  if ((algorithm === undefined) !== (checksum === null)) {
    throw invalid(ServerErrorCode.InvalidChecksum, 'checksumAlgorithm and checksum must be given together.');
  }
  if (algorithm !== undefined && checksum !== null) {
    const { header, bytes } = CHECKSUM_ALGORITHMS[algorithm];
    if (!isBase64OfLength(checksum, bytes)) {
      throw invalid(ServerErrorCode.InvalidChecksum, `checksum must be the base64 of a ${bytes}-byte ${algorithm} digest.`);
    }
    headers[header] = checksum;
  }
  return headers;
}

/** The default object key: `keyPrefix` + a random UUID + `/` + the filename made safe for URLs and S3. */
export function defaultKey(keyPrefix: string, filename: string): string {
  const safe = filename
    .normalize('NFC')
    // Keep letters and digits of every script; anything that means something in a URL or a path becomes "_".
    .replace(/[^\p{L}\p{N}\p{M}._\-()!' ]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const head = `${keyPrefix}${crypto.randomUUID()}/`;
  return head + truncateUtf8(safe === '' ? 'file' : safe, S3_LIMITS.maxKeyBytes - encoder.encode(head).byteLength);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (encoder.encode(text).byteLength <= maxBytes) return text;
  let result = '';
  let used = 0;
  for (const char of text) {
    const size = encoder.encode(char).byteLength;
    if (used + size > maxBytes) break;
    result += char;
    used += size;
  }
  return result;
}

function isBase64OfLength(value: string, bytes: number): boolean {
  const expectedLength = Math.ceil(bytes / 3) * 4;
  if (value.length !== expectedLength || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    return atob(value).length === bytes;
  } catch {
    return false;
  }
}

function invalid(code: ServerErrorCode, message: string): HttpError {
  return new HttpError(400, code, message);
}
