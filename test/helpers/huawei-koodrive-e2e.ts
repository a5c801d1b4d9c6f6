import { adminRoute, storedBytesOf } from './emulator-admin.js';
import { e2eServers } from './e2e.js';

/** Calls a route of the KooDrive emulator's admin API on the emulator server; answers JSON, or null for 204. */
export function kooDriveAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('huawei-koodrive', path, init);
}

/** A user access token from the emulator, as the KooDrive web front end would hand one to the page. */
export async function kooDriveToken(): Promise<string> {
  return (await kooDriveAdmin<{ access_token: string }>('token', { method: 'POST' })).access_token;
}

/** A finished file's bytes, read back from the emulator. */
export function kooDriveFile(fileId: string): Promise<Uint8Array> {
  return storedBytesOf('huawei-koodrive', `files/${encodeURIComponent(fileId)}`);
}

/** The shipped app-auth handler (`/api/huawei-koodrive`) and the emulated KooDrive API origin on the emulator server. */
export async function kooDriveEndpoints(): Promise<{ handler: string; api: string }> {
  const { emulatorUrl } = await e2eServers();
  return { handler: `${emulatorUrl}/api/huawei-koodrive`, api: `${emulatorUrl}/emulator/huawei-koodrive` };
}
