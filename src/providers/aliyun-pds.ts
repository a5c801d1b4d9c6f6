import { UploadError, UploadErrorCode, isUploadError, redactUrl } from '../core/errors.js';
import { parseJson } from '../core/http.js';
import type { HttpResponse } from '../core/http.js';
import type { AdapterContext, PartLimits, PartReceipt, ProviderAdapter, UploadResult } from '../core/adapter.js';
import type { DigestSpec } from '../hashing/digest-spec.js';
import { digestIfReady } from './digest-ready.js';
import { readXmlError } from '../core/xml-error.js';
import { fallbackError, objectStoreErrors, retryableByStoreCode, type ErrorMapping, type FallbackWording } from './error-mapping.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** PDS's part limits: OSS's 100 KB minimum and 5 GiB maximum, 10,000 parts, sizes a multiple of 64 for SHA-1 contexts. */
export const ALIYUN_PDS_LIMITS: PartLimits = {
  minPartSize: 100 * KiB,
  maxPartSize: 5 * GiB,
  maxParts: 10_000,
  maxFileSize: 10_000 * 5 * GiB,
  partSizeMultiple: 64,
  defaultPartSize: 10 * MiB,
  allowsEmptyFile: true,
};

/** What create does when the folder already holds a file of that name. */
export type AliyunPdsCheckNameMode = 'ignore' | 'auto_rename' | 'refuse';

/** Options of {@link createAliyunPdsAdapter}. */
export interface AliyunPdsAdapterOptions {
  /** The domain's API origin, `https://{domain_id}.api.aliyunpds.com`; calls go to `{endpoint}/v2/file/…`. */
  endpoint?: string;
  /**
   * Returns a PDS access token for `Authorization: Bearer`, handed out by the user's backend. Called when the adapter
   * has none and again after the service answers `AccessTokenExpired`; the token is only ever kept in memory.
   */
  getToken?: () => string | Promise<string>;
  /** The drive to upload into. */
  driveId?: string;
  /** The folder to upload into; default `root`. */
  parentFileId?: string;
  /** Default `ignore`, PDS's own default (a second file of the same name is created). */
  checkNameMode?: AliyunPdsCheckNameMode;
  /** Try rapid upload (pre_hash, then content_hash when the pre-hash matches); default `true`. */
  rapidUpload?: boolean;
  /** Ask for parallel mode (parts in any order, SHA-1 contexts per part); falls back to serial where the domain has none. Default `false`. */
  parallelUpload?: boolean;
  /** Send the file's CRC-64 at complete for the service to verify, and compare the one it returns (inferred algorithm: CRC-64/XZ). Default `true`. */
  crc64Hash?: boolean;
  /** Send the parts' ETags at complete, as the JS SDK does (inferred optional). Default `true`. */
  completeWithPartList?: boolean;
  /** How long a part URL is valid; the doc's default is 15 minutes. URLs are renewed a little before. */
  urlLifetimeMs?: number;
  /** Parts per list_uploaded_parts page; the doc's limit is 100. */
  listPageSize?: number;
}

/** Where an upload stands on PDS. Holds no URL and no token. */
export interface AliyunPdsSession {
  fileId: string;
  uploadId: string;
  /** Parallel mode; false for serial, including after a fallback. */
  parallel: boolean;
}

/** PDS's part entry in create and get_upload_url answers. */
interface PartInfo {
  part_number?: number;
  upload_url?: string;
  content_type?: string;
}

interface CreateAnswer {
  file_id?: string;
  file_name?: string;
  upload_id?: string;
  rapid_upload?: boolean;
  exist?: boolean;
  content_hash?: string;
  part_info_list?: PartInfo[];
}

interface ListAnswer {
  uploaded_parts?: Array<{ part_number?: number; part_size?: number; etag?: string }>;
  next_part_number_marker?: string | number;
}

interface CompleteAnswer {
  file_id?: string;
  name?: string;
  size?: number;
  status?: string;
  content_hash?: string;
  drive_id?: string;
}

interface CachedUrl {
  url: string;
  contentType: string;
  issuedAt: number;
}

type Mapping = ErrorMapping;

/** PDS API codes (JSON `{code, message}`). */
const API_ERRORS: Record<string, Mapping> = {
  InvalidParameter: [UploadErrorCode.ProviderRejected, 'PDS refused a request parameter.'],
  InvalidParameterMissing: [UploadErrorCode.ProviderRejected, 'PDS says a required parameter is missing.'],
  InvalidParameterOutOfRange: [UploadErrorCode.LimitExceeded, 'A value is outside what PDS allows (name length, part count or size).'],
  'InvalidParameterNotSupported.ParallelUpload': [UploadErrorCode.ProviderRejected, 'This PDS domain does not support parallel upload.'],
  AccessTokenInvalid: [UploadErrorCode.AuthFailed, 'PDS refused the access token. Check what getToken returns.'],
  AccessTokenExpired: [UploadErrorCode.UrlExpired, 'The PDS access token expired; a new one will be requested.'],
  ShareLinkTokenInvalid: [UploadErrorCode.AuthFailed, 'PDS refused the share-link token.'],
  Forbidden: [UploadErrorCode.AuthFailed, 'The access token has no permission to upload here.'],
  PreHashMatched: [UploadErrorCode.ProviderRejected, 'PDS found a file with the same first kilobyte; the full hash is needed.'],
  'AlreadyExist.File': [UploadErrorCode.ProviderRejected, 'PDS already has this file complete; this upload id is no longer usable.'],
  'NotFound.File': [UploadErrorCode.NotFound, 'The file or its folder no longer exists on PDS.'],
  'NotFound.UploadId': [UploadErrorCode.NotFound, 'PDS no longer has this upload (it was completed or expired after 10 days).'],
  'NotFound.Drive': [UploadErrorCode.NotFound, 'The drive does not exist on PDS.'],
  TooManyRequests: [UploadErrorCode.RateLimited, 'PDS asked to slow down; the upload will retry.'],
  InternalError: [UploadErrorCode.ServerError, 'PDS had an internal error; the upload will retry.'],
  ServiceUnavailable: [UploadErrorCode.ServerError, 'PDS is unavailable for the moment; the upload will retry.'],
  D504TO: [UploadErrorCode.ServerError, 'The PDS gateway timed out; the upload will retry.'],
};

/** The codes of hash refusals are not public; they name the hash field that did not match. */
const HASH_REFUSAL: [RegExp, Mapping] = [
  /^InvalidParameter.*(hash|crc|sha1|ctx)/i,
  [UploadErrorCode.HashMismatch, 'PDS received bytes whose hash differs from the local file.'],
];

/** Families of codes, for the ones PDS documents only by prefix (`NotFound.UploadId…`). */
const API_ERROR_FAMILIES: Array<[RegExp, Mapping]> = [
  [/^NotFound/, [UploadErrorCode.NotFound, 'PDS no longer has what this upload refers to.']],
  [/^InvalidParameterOutOfRange/, API_ERRORS['InvalidParameterOutOfRange'] as Mapping],
  [/^InvalidParameterNotSupported/, [UploadErrorCode.ProviderRejected, 'PDS does not support an option this upload asked for.']],
  HASH_REFUSAL,
  [/^InvalidParameter/, API_ERRORS['InvalidParameter'] as Mapping],
  [/^AlreadyExist/, [UploadErrorCode.ProviderRejected, 'PDS already has this item.']],
  [/^Forbidden/, API_ERRORS['Forbidden'] as Mapping],
];

/** OSS codes of the presigned part URLs (XML `<Error>`): the object-store table, with OSS's own part codes. */
const OSS_ERRORS = objectStoreErrors({
  AccessDenied: [UploadErrorCode.AuthFailed, 'The storage refused the part URL.'],
  SignatureDoesNotMatch: [UploadErrorCode.AuthFailed, 'The storage refused the part URL\'s signature (a Content-Type other than the one PDS returned breaks it).'],
  PartAlreadyExist: [UploadErrorCode.ProviderRejected, 'The storage already holds this part.'],
  PartNotSequential: [UploadErrorCode.ProviderRejected, 'The storage takes this upload\'s parts strictly in order, and a part arrived early.'],
});

const PARALLEL_UNSUPPORTED = 'InvalidParameterNotSupported.ParallelUpload';
/** Part URLs fetched at once in serial mode, when none are cached (resume, expiry). */
const URL_BATCH = 100;

interface ProviderDetail {
  code?: string;
  message?: string;
  requestId?: string;
}

function readError(response: HttpResponse): ProviderDetail {
  const requestId = response.headers.get('x-ca-request-id') ?? undefined;
  const xml = readXmlError(response.text);
  if (xml) return { ...xml, requestId: xml.requestId ?? requestId };
  const body = parseJson<{ code?: unknown; message?: unknown; Code?: unknown; Message?: unknown }>(response);
  const code = body && typeof body === 'object' ? (body.code ?? body.Code) : undefined;
  if (typeof code === 'string') {
    const message = body?.message ?? body?.Message;
    return { code, message: typeof message === 'string' ? message : undefined, requestId };
  }
  // The API gateway reports its own failures in headers only.
  const gateway = response.headers.get('x-ca-error-code');
  if (gateway) return { code: gateway, message: response.headers.get('x-ca-error-message') ?? undefined, requestId };
  return { requestId };
}

function mappingFor(detail: ProviderDetail, isXml: boolean): Mapping | undefined {
  if (!detail.code) return undefined;
  // A part whose bytes do not lead to the next part's context (already given in parallel mode) is refused at its PUT.
  if (isXml) return OSS_ERRORS[detail.code] ?? (HASH_REFUSAL[0].test(detail.code) ? HASH_REFUSAL[1] : undefined);
  return API_ERRORS[detail.code] ?? API_ERROR_FAMILIES.find(([pattern]) => pattern.test(detail.code as string))?.[1];
}

const PDS_WORDING: FallbackWording = {
  failed: (where) => `PDS at ${where} failed`,
  refused: (where) => `PDS at ${where} refused the request`,
};

/** Turns a PDS API or OSS part-URL error answer into an UploadError with a message a person can act on. */
export function parseAliyunPdsError(response: HttpResponse): UploadError {
  const detail = readError(response);
  const init = {
    status: response.status,
    retryAfter: response.headers.get('Retry-After'),
    provider: { id: 'aliyun-pds', ...detail },
  };
  const isXml = /<Error>/.test(response.text);
  if (isXml && detail.code === 'AccessDenied' && /expired/i.test(detail.message ?? '')) {
    return new UploadError(UploadErrorCode.UrlExpired, 'The part URL expired; a new one will be requested.', init);
  }
  const known = mappingFor(detail, isXml);
  if (known) return new UploadError(known[0], known[1], { ...init, retryable: retryableByStoreCode(detail.code) });
  return fallbackError(response, init, detail.message, PDS_WORDING);
}

/**
 * Reads the file's `crc64_hash` from the raw answer: the doc prints it as a bare JSON number, which `JSON.parse`
 * would round, while the SDK model has a string. Both are read exactly, and only the top-level one counts.
 */
export function readCrc64(text: string): string | undefined {
  const raw = topLevelRawValue(text, 'crc64_hash');
  return raw === undefined ? undefined : /^"?(\d+)"?$/.exec(raw)?.[1];
}

/** Where the JSON string starting at `start` (its opening quote) ends: the index of its closing quote. */
function endOfJsonString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

/**
 * The raw text of the value of `name` in the answer's top-level object, read without `JSON.parse` so a 64-bit number
 * keeps its digits; a member of the same name nested deeper (the file's `streams_info`) is not it.
 */
function topLevelRawValue(text: string, name: string): string | undefined {
  let depth = 0;
  let atKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      const end = endOfJsonString(text, i);
      if (depth === 1 && atKey) {
        atKey = false;
        const colon = text.indexOf(':', end);
        if (colon === -1) return undefined;
        if (text.slice(i + 1, end) === name) {
          const rest = text.slice(colon + 1).trimStart();
          const valueEnd = rest.startsWith('"') ? endOfJsonString(rest, 0) + 1 : rest.search(/[,}\]\s]|$/);
          return rest.slice(0, valueEnd);
        }
        i = colon;
      } else {
        i = end;
      }
    } else if (char === '{' || char === '[') {
      depth += 1;
      atKey = depth === 1 && char === '{';
    } else if (char === '}' || char === ']') {
      depth -= 1;
    } else if (char === ',' && depth === 1) {
      atKey = true;
    }
  }
  return undefined;
}

function badAnswer(what: string): UploadError {
  return new UploadError(UploadErrorCode.BadResponse, `PDS's answer to ${what} is missing fields it should have.`);
}

/**
 * Aliyun PDS (Drive and Photo Service, API 2022-03-01): create with rapid upload (pre_hash, then content_hash),
 * raw part PUTs to presigned OSS URLs in serial or parallel mode (SHA-1 contexts per part), URL renewal through
 * get_upload_url, resume through list_uploaded_parts, and complete with the file's CRC-64. The page talks to PDS
 * directly with a Bearer token from `getToken`.
 */
export function createAliyunPdsAdapter(options: AliyunPdsAdapterOptions = {}): ProviderAdapter<AliyunPdsSession> {
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  if (!endpoint) throw new Error('The Aliyun PDS adapter needs an `endpoint` (https://{domain_id}.api.aliyunpds.com).');
  if (typeof options.getToken !== 'function') throw new Error('The Aliyun PDS adapter needs `getToken`, returning a PDS access token.');
  if (!options.driveId) throw new Error('The Aliyun PDS adapter needs a `driveId`.');
  const getToken = options.getToken;
  const driveId = options.driveId;
  const parentFileId = options.parentFileId ?? 'root';
  const checkNameMode = options.checkNameMode ?? 'ignore';
  const rapidUpload = options.rapidUpload ?? true;
  const parallelUpload = options.parallelUpload ?? false;
  const crc64Hash = options.crc64Hash ?? true;
  const completeWithPartList = options.completeWithPartList ?? true;
  const urlLifetimeMs = options.urlLifetimeMs ?? 15 * 60_000;
  // Renewing a little early keeps a part from going out on a URL that expires while its body is still in flight.
  const urlFreshMs = urlLifetimeMs - Math.min(60_000, urlLifetimeMs / 4);
  const listPageSize = options.listPageSize ?? 100;

  /** The token in use, fetched once and dropped when PDS says it expired; never written anywhere. */
  let token: Promise<string> | undefined;
  /** Part URLs by upload id, then part number; memory only, as the checkpoint may hold no signed URL. */
  const urls = new Map<string, Map<number, CachedUrl>>();
  /** get_upload_url calls in flight, by upload id and part number, so that parallel lanes share one call. */
  const asking = new Map<string, Map<number, Promise<unknown>>>();

  function currentToken(): Promise<string> {
    token ??= (async () => {
      let value: unknown;
      try {
        value = await getToken();
      } catch (cause) {
        token = undefined;
        throw new UploadError(UploadErrorCode.AuthFailed, 'getToken failed, so there is no PDS access token.', { retryable: false, cause });
      }
      if (typeof value !== 'string' || value === '') {
        token = undefined;
        throw new UploadError(UploadErrorCode.AuthFailed, 'getToken returned no PDS access token.', { retryable: false });
      }
      return value;
    })();
    return token;
  }

  /** Calls one `/v2/file/*` operation; a refused token is dropped so that the retry asks getToken again. */
  async function call<T>(ctx: AdapterContext, operation: string, body: Record<string, unknown>): Promise<{ answer: T; text: string }> {
    const pending = currentToken();
    const bearer = await pending;
    let response: HttpResponse;
    try {
      response = await ctx.send({
        method: 'POST',
        url: `${endpoint}/v2/file/${operation}`,
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (thrown) {
      if (isUploadError(thrown) && thrown.status === 401 && token === pending) token = undefined;
      throw thrown;
    }
    const answer = parseJson<T>(response);
    if (typeof answer !== 'object' || answer === null) {
      throw new UploadError(UploadErrorCode.BadResponse, `PDS at ${redactUrl(response.url)} did not answer with JSON.`, { status: response.status });
    }
    return { answer, text: response.text };
  }

  function remember(uploadId: string, parts: PartInfo[] | undefined, keep: (partNumber: number) => boolean): void {
    const cache = urls.get(uploadId) ?? new Map<number, CachedUrl>();
    urls.set(uploadId, cache);
    const issuedAt = Date.now();
    for (const part of parts ?? []) {
      if (typeof part.part_number !== 'number' || typeof part.upload_url !== 'string' || !keep(part.part_number)) continue;
      cache.set(part.part_number, { url: part.upload_url, contentType: part.content_type ?? '', issuedAt });
    }
  }

  function cachedUrl(uploadId: string, partNumber: number): CachedUrl | undefined {
    const cached = urls.get(uploadId)?.get(partNumber);
    if (cached && Date.now() - cached.issuedAt < urlFreshMs) return cached;
    urls.get(uploadId)?.delete(partNumber);
    return undefined;
  }

  const uploadRef = (session: AliyunPdsSession) => ({ drive_id: driveId, file_id: session.fileId, upload_id: session.uploadId });

  async function sha1Context(ctx: AdapterContext, partNumber: number) {
    return { h: (await ctx.digest('sha1_ctx', partNumber)) as number[], part_offset: (partNumber - 1) * ctx.plan.partSize };
  }

  /**
   * A fresh URL for the part: cached, or from get_upload_url together with the next parts that have none, the lanes
   * that want those parts waiting for that one call. In parallel mode each part carries its SHA-1 context, so only the
   * parts whose context the hashing has already reached go along; a lane whose part was left out asks on its own.
   */
  async function partUrl(ctx: AdapterContext, session: AliyunPdsSession, partNumber: number): Promise<CachedUrl> {
    const inFlight = asking.get(session.uploadId) ?? asking.set(session.uploadId, new Map()).get(session.uploadId)!;
    // Only an actual wait may yield here: the call must be in `inFlight` before another lane looks.
    const shared = cachedUrl(session.uploadId, partNumber) ? undefined : inFlight.get(partNumber);
    if (shared) await shared.catch(() => undefined);
    const cached = cachedUrl(session.uploadId, partNumber);
    if (cached) return cached;
    const candidates = [partNumber];
    for (let n = partNumber + 1; n <= ctx.plan.partCount && candidates.length < URL_BATCH; n++) {
      if (!cachedUrl(session.uploadId, n) && !inFlight.has(n)) candidates.push(n);
    }
    const request = (async () => {
      const batch = [partNumber];
      for (const n of candidates.slice(1)) {
        if (session.parallel && (await digestIfReady(ctx, 'sha1_ctx', n)) === undefined) break;
        batch.push(n);
      }
      const wanted = await Promise.all(
        batch.map(async (n) => (session.parallel ? { part_number: n, parallel_sha1_ctx: await sha1Context(ctx, n) } : { part_number: n })),
      );
      const { answer } = await call<{ part_info_list?: PartInfo[] }>(ctx, 'get_upload_url', { ...uploadRef(session), part_info_list: wanted });
      remember(session.uploadId, answer.part_info_list, () => true);
    })();
    for (const n of candidates) inFlight.set(n, request);
    try {
      await request;
    } finally {
      for (const n of candidates) if (inFlight.get(n) === request) inFlight.delete(n);
    }
    const fresh = cachedUrl(session.uploadId, partNumber);
    if (!fresh) throw badAnswer('get_upload_url');
    return fresh;
  }

  async function listPage(ctx: AdapterContext, session: AliyunPdsSession, marker: number, limit: number) {
    const { answer } = await call<ListAnswer>(ctx, 'list_uploaded_parts', {
      ...uploadRef(session),
      limit,
      ...(marker > 0 ? { part_number_marker: marker } : {}),
    });
    const receipts = (answer.uploaded_parts ?? []).map(
      (part): PartReceipt => ({ partNumber: Number(part.part_number), size: Number(part.part_size), etag: part.etag }),
    );
    return { receipts, next: Number(answer.next_part_number_marker || 0) };
  }

  async function listAll(ctx: AdapterContext, session: AliyunPdsSession): Promise<PartReceipt[]> {
    const receipts: PartReceipt[] = [];
    let marker = 0;
    for (;;) {
      const page = await listPage(ctx, session, marker, listPageSize);
      receipts.push(...page.receipts);
      if (!page.next) return receipts;
      // A marker that does not move on would page forever.
      if (!(page.next > marker)) throw badAnswer('list_uploaded_parts');
      marker = page.next;
    }
  }

  /** Serial mode's 409: the part arrived before (its answer was lost); its listing is the receipt. */
  async function alreadyStored(ctx: AdapterContext, session: AliyunPdsSession, partNumber: number, size: number): Promise<PartReceipt> {
    const [listed] = (await listPage(ctx, session, partNumber - 1, 1)).receipts;
    if (!listed || listed.partNumber !== partNumber) throw badAnswer('list_uploaded_parts');
    if (listed.size !== size) {
      // The SDK moves the missing tail into the next part; with a fixed part plan the honest answer is to stop.
      throw new UploadError(
        UploadErrorCode.ProviderRejected,
        `PDS kept only ${listed.size} of part ${partNumber}'s ${size} bytes and will not take the part again; upload the file anew.`,
        { retryable: false },
      );
    }
    return listed;
  }

  function session(created: CreateAnswer, parallel: boolean): AliyunPdsSession {
    if (typeof created.file_id !== 'string' || typeof created.upload_id !== 'string' || !Array.isArray(created.part_info_list)) {
      throw badAnswer('create');
    }
    return { fileId: created.file_id, uploadId: created.upload_id, parallel };
  }

  return {
    id: 'aliyun-pds',
    target: `${endpoint}|${driveId}|${parentFileId}`,
    limits: ALIYUN_PDS_LIMITS,

    digests(): DigestSpec[] {
      const specs: DigestSpec[] = [];
      if (rapidUpload) {
        specs.push(
          { name: 'pre_hash', algorithm: 'sha1', encoding: 'hex-upper', scope: 'prefix', prefixLength: 1024, when: 'before-create' },
          { name: 'content_hash', algorithm: 'sha1', encoding: 'hex-upper', scope: 'file', when: 'before-create' },
        );
      }
      if (parallelUpload) specs.push({ name: 'sha1_ctx', algorithm: 'sha1', encoding: 'state-words', scope: 'state-before-part', when: 'before-part' });
      if (crc64Hash) specs.push({ name: 'crc64_hash', algorithm: 'crc64', encoding: 'decimal', scope: 'file', when: 'before-complete' });
      return specs;
    },

    sequentialParts: (current) => !current.parallel,

    async create(ctx) {
      let parallel = parallelUpload;
      let hashes: Record<string, string> = rapidUpload ? { pre_hash: (await ctx.digest('pre_hash')) as string } : {};
      for (;;) {
        const partList = await Promise.all(
          Array.from({ length: ctx.plan.partCount }, async (_, i) =>
            // Only part 1's context is known now; the others go with get_upload_url once the worker has reached them.
            parallel && i === 0 ? { part_number: 1, parallel_sha1_ctx: await sha1Context(ctx, 1) } : { part_number: i + 1 },
          ),
        );
        let created: CreateAnswer;
        try {
          ({ answer: created } = await call<CreateAnswer>(ctx, 'create', {
            drive_id: driveId,
            parent_file_id: parentFileId,
            name: ctx.file.name,
            type: 'file',
            size: ctx.file.size,
            content_type: ctx.file.type || 'application/octet-stream',
            check_name_mode: checkNameMode,
            part_info_list: partList,
            ...(parallel ? { parallel_upload: true } : {}),
            ...hashes,
          }));
        } catch (thrown) {
          const code = isUploadError(thrown) ? thrown.provider?.code : undefined;
          if (code === PARALLEL_UNSUPPORTED && parallel) {
            parallel = false;
            continue;
          }
          if (code === 'PreHashMatched' && hashes['pre_hash'] !== undefined) {
            hashes = { content_hash: (await ctx.digest('content_hash')) as string, content_hash_name: 'sha1' };
            continue;
          }
          throw thrown;
        }
        if (created.exist) {
          throw new UploadError(UploadErrorCode.ProviderRejected, `The folder already holds a file named "${ctx.file.name}" (check_name_mode "refuse").`, {
            retryable: false,
          });
        }
        if (created.rapid_upload) {
          if (typeof created.file_id !== 'string') throw badAnswer('create');
          const result: UploadResult = { fileId: created.file_id, name: created.file_name ?? ctx.file.name, driveId, rapid: true };
          if (hashes['content_hash']) result['contentHash'] = hashes['content_hash'];
          return { kind: 'done', result };
        }
        const started = session(created, parallel);
        remember(started.uploadId, created.part_info_list, (partNumber) => !parallel || partNumber === 1);
        return { kind: 'session', session: started };
      }
    },

    listParts: (ctx, current) => listAll(ctx, current),

    async uploadPart(ctx, current, part) {
      const destination = await partUrl(ctx, current, part.partNumber);
      let response: HttpResponse;
      try {
        response = await ctx.send(
          {
            method: 'PUT',
            url: destination.url,
            // The URL's signature covers Content-Type: exactly what PDS returned, and none when that is empty.
            ...(destination.contentType ? { headers: { 'Content-Type': destination.contentType } } : {}),
            body: part.blob,
          },
          { acceptStatus: current.parallel ? [] : [409] },
        );
      } catch (thrown) {
        // The part URLs of one upload were issued together and run out together.
        if (isUploadError(thrown) && (thrown.code === UploadErrorCode.UrlExpired || thrown.code === UploadErrorCode.NotFound)) {
          urls.delete(current.uploadId);
        }
        throw thrown;
      }
      if (response.status === 409) {
        const refusal = parseAliyunPdsError(response);
        if (refusal.provider?.code !== 'PartAlreadyExist') throw refusal;
        return alreadyStored(ctx, current, part.partNumber, part.size);
      }
      const etag = response.headers.get('ETag');
      if (!etag) {
        throw new UploadError(
          UploadErrorCode.CorsBlocked,
          `Part ${part.partNumber} was stored, but its ETag header is not readable by the page. The PDS data domain's CORS rule must expose "ETag".`,
          { retryable: false, status: response.status },
        );
      }
      return { partNumber: part.partNumber, size: part.size, etag };
    },

    async complete(ctx, current, receipts) {
      const localCrc = crc64Hash ? ((await ctx.digest('crc64_hash')) as string) : undefined;
      let finished: { answer: CompleteAnswer; text: string };
      try {
        finished = await call<CompleteAnswer>(ctx, 'complete', {
          ...uploadRef(current),
          ...(localCrc === undefined ? {} : { crc64_hash: localCrc }),
          ...(completeWithPartList ? { part_info_list: receipts.map((receipt) => ({ part_number: receipt.partNumber, etag: receipt.etag })) } : {}),
        });
      } catch (thrown) {
        // A complete whose answer was lost leaves its upload id gone; the file itself says whether it went through.
        if (!(isUploadError(thrown) && thrown.provider?.code?.startsWith('NotFound.UploadId'))) throw thrown;
        finished = await call<CompleteAnswer>(ctx, 'get', { drive_id: driveId, file_id: current.fileId });
        if (finished.answer.status !== 'available') throw thrown;
      }
      const { answer, text } = finished;
      urls.delete(current.uploadId);
      asking.delete(current.uploadId);
      const storedCrc = readCrc64(text);
      // The vendor SDKs check what PDS stored against the local file once more: size, then CRC-64.
      if ((answer.size !== undefined && answer.size !== ctx.file.size) || (localCrc && storedCrc && storedCrc !== localCrc)) {
        throw new UploadError(
          UploadErrorCode.HashMismatch,
          `PDS stored ${answer.size ?? '?'} bytes with CRC-64 ${storedCrc ?? '?'}, but the file has ${ctx.file.size} bytes with CRC-64 ${localCrc ?? '?'}.`,
          { retryable: false },
        );
      }
      return {
        fileId: answer.file_id ?? current.fileId,
        name: answer.name ?? ctx.file.name,
        driveId,
        rapid: false,
        ...(answer.content_hash ? { contentHash: answer.content_hash } : {}),
        ...(storedCrc ? { crc64Hash: storedCrc } : {}),
      };
    },

    // PDS has no abort call (unfinished parts expire after 10 days); only the URLs held in memory go.
    async abort(_ctx, current) {
      urls.delete(current.uploadId);
      asking.delete(current.uploadId);
    },

    parseError: parseAliyunPdsError,
  };
}
