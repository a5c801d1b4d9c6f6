import type { CheckpointRecord } from '../core/types.js';
import type { HashAlgorithm } from '../hashing/digest-spec.js';

/** The record version this build reads and writes; any other version is discarded on load. */
export const CHECKPOINT_VERSION = 1;

/** The outcome of checking a stored value: the typed record, or the first problem found (a path and a reason). */
export type CheckpointValidation = { ok: true; record: CheckpointRecord } | { ok: false; problem: string };

// `satisfies Record<HashAlgorithm, true>` makes the compiler fail when an algorithm is added to the type but not here.
const HASH_ALGORITHMS = {
  md5: true,
  sha1: true,
  sha256: true,
  crc32: true,
  crc32c: true,
  crc64: true,
  crc64nvme: true,
} as const satisfies Record<HashAlgorithm, true>;

// Field names that carry credentials. Checkpoints outlive the page in plain IndexedDB, so none may be stored.
const SECRET_FIELD = /token|signature|authorization|secret|credential|password|api[-_]?key|^x-amz-/i;
// An absolute URL with a query, or a root- or protocol-relative path with a query parameter: presigned URLs carry
// their signature there. A bare S3 key such as `photos/what?.jpg` is neither and stays allowed.
const URL_WITH_QUERY = /^\s*(?:[a-z][a-z\d+.-]*:\/\/\S*\?|\/\S*\?\S*=)/i;
// A SigV4 query string on its own, without the URL in front.
const SIGV4_QUERY = /(?:^|[?&])x-amz-(?:signature|credential|security-token)=/i;

const MAX_DEPTH = 64;
const MAX_UINT32 = 0xffff_ffff;

type Problem = string | undefined;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isFileHandle(value: unknown): value is FileSystemFileHandle {
  return typeof FileSystemFileHandle === 'function' && value instanceof FileSystemFileHandle;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Checks that a value is plain JSON (what `JSON.stringify` keeps unchanged, with `undefined` object members allowed
 * because JSON drops them) and holds no credential: no secret-like field name and no string that looks like a signed
 * URL. Problems name the path only, never the value, which may be the very secret being refused.
 */
function findJsonProblem(value: unknown, path: string, ancestors: Set<object>): Problem {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is not a finite number`;
  if (typeof value === 'string') {
    if (URL_WITH_QUERY.test(value) || SIGV4_QUERY.test(value)) return `${path} looks like a URL with a query string`;
    return undefined;
  }
  if (typeof value !== 'object') return `${path} is not JSON (${typeof value})`;
  if (ancestors.has(value)) return `${path} refers back to itself`;
  if (ancestors.size >= MAX_DEPTH) return `${path} is nested too deeply`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) {
        const item: unknown = value[index];
        const problem = item === undefined ? `${path}[${index}] is not JSON (undefined)` : findJsonProblem(item, `${path}[${index}]`, ancestors);
        if (problem) return problem;
      }
      return undefined;
    }
    if (!isPlainObject(value)) return `${path} is not a plain object`;
    for (const [field, member] of Object.entries(value)) {
      if (SECRET_FIELD.test(field)) return `${path}.${field} is a credential-like field`;
      if (member === undefined) continue;
      const problem = findJsonProblem(member, `${path}.${field}`, ancestors);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

function findSafetyProblem(value: unknown, path: string): Problem {
  return findJsonProblem(value, path, new Set());
}

function findReceiptShapeProblem(value: unknown, path: string): Problem {
  if (!isPlainObject(value)) return `${path} is not an object`;
  if (!Number.isSafeInteger(value.partNumber) || (value.partNumber as number) < 1) return `${path}.partNumber is not a positive integer`;
  if (!isCount(value.size)) return `${path}.size is not a non-negative integer`;
  if (value.etag !== undefined && typeof value.etag !== 'string') return `${path}.etag is not a string`;
  return undefined;
}

function findHashStateShapeProblem(value: unknown, path: string): Problem {
  if (!Array.isArray(value)) return `${path} is not an array`;
  for (let index = 0; index < value.length; index += 1) {
    const state: unknown = value[index];
    const at = `${path}[${index}]`;
    if (!isPlainObject(state)) return `${at} is not an object`;
    if (typeof state.algorithm !== 'string' || !Object.hasOwn(HASH_ALGORITHMS, state.algorithm)) return `${at}.algorithm is not a known algorithm`;
    if (!isCount(state.bytes)) return `${at}.bytes is not a non-negative integer`;
    if (!Array.isArray(state.words) || !state.words.every((word) => Number.isInteger(word) && word >= 0 && word <= MAX_UINT32)) {
      return `${at}.words is not an array of unsigned 32-bit integers`;
    }
  }
  return undefined;
}

/** Says what is wrong with a part receipt before it is stored (shape, JSON-ness, no credential), or undefined if nothing. */
export function findReceiptProblem(receipt: unknown): string | undefined {
  return findReceiptShapeProblem(receipt, 'receipt') ?? findSafetyProblem(receipt, 'receipt');
}

/** Says what is wrong with saved hasher states before they are stored, or undefined if nothing. */
export function findHashStateProblem(states: unknown): string | undefined {
  return findHashStateShapeProblem(states, 'hashState') ?? findSafetyProblem(states, 'hashState');
}

function findRecordProblem(value: unknown, fingerprint: string | undefined): Problem {
  if (!isPlainObject(value)) return 'the record is not an object';
  if (value.version !== CHECKPOINT_VERSION) return `version is not ${CHECKPOINT_VERSION}`;
  if (!isNonEmptyString(value.fingerprint)) return 'fingerprint is not a non-empty string';
  if (fingerprint !== undefined && value.fingerprint !== fingerprint) return 'the record belongs to another file';
  if (!isNonEmptyString(value.adapterId)) return 'adapterId is not a non-empty string';
  if (typeof value.target !== 'string') return 'target is not a string';

  const { file, plan } = value;
  if (!isPlainObject(file)) return 'file is not an object';
  if (typeof file.name !== 'string') return 'file.name is not a string';
  if (!isCount(file.size)) return 'file.size is not a non-negative integer';
  if (typeof file.type !== 'string') return 'file.type is not a string';
  if (typeof file.lastModified !== 'number' || !Number.isFinite(file.lastModified)) return 'file.lastModified is not a number';

  if (!isPlainObject(plan)) return 'plan is not an object';
  if (!isCount(plan.partSize)) return 'plan.partSize is not a non-negative integer';
  if (!isCount(plan.partCount)) return 'plan.partCount is not a non-negative integer';

  if (value.session === undefined) return 'session is missing';

  if (!Array.isArray(value.receipts)) return 'receipts is not an array';
  const partNumbers = new Set<number>();
  for (let index = 0; index < value.receipts.length; index += 1) {
    const receipt: unknown = value.receipts[index];
    const problem = findReceiptShapeProblem(receipt, `receipts[${index}]`);
    if (problem) return problem;
    const { partNumber } = receipt as { partNumber: number };
    if (partNumber > plan.partCount) return `receipts[${index}].partNumber is beyond the plan's ${plan.partCount} parts`;
    if (partNumbers.has(partNumber)) return `receipts[${index}].partNumber repeats part ${partNumber}`;
    partNumbers.add(partNumber);
  }

  if (value.hashState !== undefined) {
    const problem = findHashStateShapeProblem(value.hashState, 'hashState');
    if (problem) return problem;
  }
  if (!isTime(value.createdAt)) return 'createdAt is not a time';
  if (!isTime(value.updatedAt)) return 'updatedAt is not a time';

  // A file handle is the one member that is not JSON: IndexedDB clones it, and it holds a permission, not the bytes.
  const { handle, ...json } = value;
  if (handle !== undefined && !isFileHandle(handle)) return 'handle is not a FileSystemFileHandle';
  return findSafetyProblem(json, 'record');
}

/**
 * Checks every field and type of a stored checkpoint, that it is JSON, that it holds no credential or signed URL,
 * and, when `fingerprint` is given, that it belongs to that file.
 */
export function validateCheckpointRecord(value: unknown, fingerprint?: string): CheckpointValidation {
  const problem = findRecordProblem(value, fingerprint);
  return problem === undefined ? { ok: true, record: value as CheckpointRecord } : { ok: false, problem };
}
