import { UploadError, UploadErrorCode } from '../../src/core/errors.js';
import type { UploadErrorCode as Code } from '../../src/core/errors.js';
import type { PartLimits, PartReceipt, ProviderAdapter } from '../../src/core/adapter.js';

export interface MemoryAdapterOptions {
  /** Fail this part number… */
  failPart?: number;
  /** …this many times (default: every time). */
  failTimes?: number;
  /** …with this code (default server-error, which the engine retries). */
  failCode?: Code;
  /** Wait this long per part, so tests can pause mid-upload. */
  delayMs?: number;
  /** Hold this part number until the upload is paused or canceled, as a store that stops answering would. */
  holdPart?: number;
  limits?: Partial<PartLimits>;
  /** Part numbers the provider reports as stored, for resume tests. */
  id?: string;
}

export interface MemorySession {
  uploadId: string;
}

export type MemoryAdapter = ProviderAdapter<MemorySession> & {
  /** Finished objects by file name. */
  stored: Map<string, Uint8Array>;
  /** Stored parts by upload id. */
  parts: Map<string, Map<number, Uint8Array>>;
  /** Every part upload attempt, in order. */
  attempts: number[];
  aborted: string[];
  /** Upload ids the engine reported as failed for good. */
  failed: string[];
  /** Parts being uploaded right now, and the most seen at once. */
  concurrency: { now: number; max: number };
};

/**
 * A provider that keeps parts in memory: a collaborator behind the adapter interface for testing the engine and the
 * element without a network. Real adapters send through `ctx.send`; this one only reads the part's Blob.
 */
export function createMemoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapter {
  const parts = new Map<string, Map<number, Uint8Array>>();
  const stored = new Map<string, Uint8Array>();
  const attempts: number[] = [];
  const aborted: string[] = [];
  const failed: string[] = [];
  const concurrency = { now: 0, max: 0 };
  let failuresLeft = options.failTimes ?? Infinity;
  let uploads = 0;
  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      }, { once: true });
    });
  return {
    id: options.id ?? 'memory',
    target: 'memory://test',
    limits: {
      minPartSize: 1,
      maxPartSize: 1024 * 1024 * 1024,
      maxParts: 10_000,
      maxFileSize: Number.MAX_SAFE_INTEGER,
      defaultPartSize: 64 * 1024,
      allowsEmptyFile: true,
      ...options.limits,
    },
    stored,
    parts,
    attempts,
    aborted,
    failed,
    concurrency,
    digests: () => [],
    async create() {
      const uploadId = `upload-${++uploads}-${Math.random().toString(36).slice(2)}`;
      parts.set(uploadId, new Map());
      return { kind: 'session', session: { uploadId } };
    },
    async listParts(_ctx, session) {
      const held = parts.get(session.uploadId);
      if (!held) throw new UploadError(UploadErrorCode.NotFound, 'No such upload.');
      return [...held].map(([partNumber, bytes]): PartReceipt => ({ partNumber, size: bytes.byteLength }));
    },
    async uploadPart(ctx, session, part) {
      attempts.push(part.partNumber);
      concurrency.now++;
      concurrency.max = Math.max(concurrency.max, concurrency.now);
      try {
        if (options.delayMs) await wait(options.delayMs, ctx.signal);
        if (part.partNumber === options.holdPart) await wait(Number.MAX_SAFE_INTEGER >>> 1, ctx.signal);
      } finally {
        concurrency.now--;
      }
      if (part.partNumber === options.failPart && failuresLeft > 0) {
        failuresLeft--;
        throw new UploadError(options.failCode ?? UploadErrorCode.ServerError, `Part ${part.partNumber} failed on purpose.`);
      }
      const held = parts.get(session.uploadId);
      if (!held) throw new UploadError(UploadErrorCode.NotFound, 'No such upload.');
      held.set(part.partNumber, new Uint8Array(await part.blob.arrayBuffer()));
      return { partNumber: part.partNumber, size: part.size, etag: `etag-${part.partNumber}` };
    },
    async complete(ctx, session, receipts) {
      const held = parts.get(session.uploadId)!;
      const size = receipts.reduce((sum, r) => sum + r.size, 0);
      const object = new Uint8Array(size);
      let offset = 0;
      for (const receipt of receipts) {
        object.set(held.get(receipt.partNumber)!, offset);
        offset += receipt.size;
      }
      stored.set(ctx.file.name, object);
      parts.delete(session.uploadId);
      return { key: ctx.file.name, location: `memory://test/${ctx.file.name}` };
    },
    async abort(_ctx, session) {
      aborted.push(session.uploadId);
      parts.delete(session.uploadId);
    },
    async fail(_ctx, session) {
      failed.push(session.uploadId);
    },
    parseError(response) {
      return new UploadError(UploadErrorCode.ProviderRejected, `HTTP ${response.status}`, { status: response.status });
    },
  };
}
