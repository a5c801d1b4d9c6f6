import { cosV4SignatureFromBackend } from '../../src/providers/tencent-cos-v4.js';
import type { TencentCosV4AdapterOptions } from '../../src/providers/tencent-cos-v4.js';
import { e2eServers } from './e2e.js';

/** The test bucket the emulator server mounts (see EMULATOR_COS_V4; repeated here so that no Node module loads in the page). */
export const COS_V4_E2E = { appId: '1250000000', bucket: 'mcubucket' } as const;

/** What the COS v4 emulator's admin route reports as stats. */
export interface CosV4E2eStats {
  list: number;
  init: number;
  data: number;
  finish: number;
  upload: number;
  rapid: number;
  partNumbersReceived: number[];
  initForms: Array<Record<string, string>>;
}

/** The element's `endpoint` and `getSignature` for the emulator server: the v4 bucket URL and the shipped signature handler. */
export async function cosV4E2eOptions(): Promise<TencentCosV4AdapterOptions & { endpoint: string }> {
  const { emulatorUrl } = await e2eServers();
  return {
    endpoint: `${emulatorUrl}/emulator/tencent-cos-v4/files/v2/${COS_V4_E2E.appId}/${COS_V4_E2E.bucket}`,
    getSignature: cosV4SignatureFromBackend(`${emulatorUrl}/api/tencent-cos-v4/signature`),
  };
}

/** Calls a COS v4 emulator admin route (`stats`, `sessions`, `faults`, `reset`). */
export async function cosV4Admin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/tencent-cos-v4/${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** Reads a stored file back from the COS v4 emulator, as bytes. */
export async function cosV4Object(path: string): Promise<Uint8Array> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/tencent-cos-v4/objects/${encodeURIComponent(path)}`);
  if (!response.ok) throw new Error(`object ${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
