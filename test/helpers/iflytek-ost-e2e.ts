import { adminRoute, storedBytesOf } from './emulator-admin.js';
import { createStore, entries } from 'idb-keyval';
import { e2eServers } from './e2e.js';

/** What the iFlytek OST emulator's admin `GET stats` answers (the fields the tests read). */
export interface IflytekOstStats {
  single: number;
  init: number;
  upload: number;
  complete: number;
  cancel: number;
  sliceIdsReceived: number[];
  refused: Array<{ operation?: string; status: number; code?: number; message: string }>;
}

/** Calls an iFlytek OST emulator admin route on the e2e emulator server; JSON in and out (204 gives `undefined`). */
export function iflytekOstAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('iflytek-ost', path, init);
}

/** The bytes of a completed file, read through the admin route by the id at the end of its URL. */
export function iflytekOstFile(url: unknown): Promise<Uint8Array> {
  return storedBytesOf('iflytek-ost', `files/${encodeURIComponent(String(url).split('/').pop()!)}`);
}

/** The signing proxy's URL on the e2e emulator server. */
export async function iflytekOstEndpoint(): Promise<string> {
  return `${(await e2eServers()).emulatorUrl}/api/iflytek-ost`;
}

/** The slice ids the single checkpoint in `dbName` holds receipts for: what a resumed upload must not send again. */
export async function savedSliceIds(dbName: string): Promise<number[]> {
  const records = await entries(createStore(dbName, 'checkpoints'));
  if (records.length !== 1) throw new Error(`expected one checkpoint, found ${records.length}`);
  const record = records[0]![1] as { receipts: Array<{ partNumber: number }> };
  return record.receipts.map((receipt) => receipt.partNumber).sort((a, b) => a - b);
}
