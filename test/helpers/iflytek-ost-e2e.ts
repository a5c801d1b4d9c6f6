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
export async function iflytekOstAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/iflytek-ost/${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The bytes of a completed file, read through the admin route by the id at the end of its URL. */
export async function iflytekOstFile(url: unknown): Promise<Uint8Array> {
  const { emulatorUrl } = await e2eServers();
  const id = String(url).split('/').pop()!;
  const response = await fetch(`${emulatorUrl}/__admin/iflytek-ost/files/${encodeURIComponent(id)}`);
  if (!response.ok) throw new Error(`file ${id}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
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
