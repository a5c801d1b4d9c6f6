import { e2eServers } from './e2e.js';

/** Calls a route of the KooDrive emulator's admin API on the emulator server; answers JSON, or null for 204. */
export async function kooDriveAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/huawei-koodrive/${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? null : await response.json()) as T;
}

/** A user access token from the emulator, as the KooDrive web front end would hand one to the page. */
export async function kooDriveToken(): Promise<string> {
  return (await kooDriveAdmin<{ access_token: string }>('token', { method: 'POST' })).access_token;
}

/** A finished file's bytes, read back from the emulator. */
export async function kooDriveFile(fileId: string): Promise<Uint8Array> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/huawei-koodrive/files/${encodeURIComponent(fileId)}`);
  if (!response.ok) throw new Error(`file ${fileId}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The shipped app-auth handler (`/api/huawei-koodrive`) and the emulated KooDrive API origin on the emulator server. */
export async function kooDriveEndpoints(): Promise<{ handler: string; api: string }> {
  const { emulatorUrl } = await e2eServers();
  return { handler: `${emulatorUrl}/api/huawei-koodrive`, api: `${emulatorUrl}/emulator/huawei-koodrive` };
}
