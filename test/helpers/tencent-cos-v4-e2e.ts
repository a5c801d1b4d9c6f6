import { adminRoute, storedBytesOf } from './emulator-admin.js';
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
export function cosV4Admin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('tencent-cos-v4', path, init);
}

/** Reads a stored file back from the COS v4 emulator, as bytes. */
export function cosV4Object(path: string): Promise<Uint8Array> {
  return storedBytesOf('tencent-cos-v4', `objects/${encodeURIComponent(path)}`);
}
