import { adminRoute, storedBytesOf } from './emulator-admin.js';
import { e2eServers } from './e2e.js';

/** Calls a route of the PDS emulator's admin API on the emulator server; answers JSON, or null for 204. */
export function pdsAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('aliyun-pds', path, init);
}

/** A Bearer token from the emulator, as a user's backend would hand one to the page. */
export async function pdsToken(): Promise<string> {
  return (await pdsAdmin<{ access_token: string }>('tokens', { method: 'POST' })).access_token;
}

/** A finished file's bytes, read back from the emulator. */
export function pdsFile(fileId: string): Promise<Uint8Array> {
  return storedBytesOf('aliyun-pds', `files/${encodeURIComponent(fileId)}`);
}

/** The PDS API origin on the emulator server. */
export async function pdsEndpoint(): Promise<string> {
  return `${(await e2eServers()).emulatorUrl}/emulator/aliyun-pds`;
}
