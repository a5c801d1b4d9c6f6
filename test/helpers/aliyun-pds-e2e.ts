import { e2eServers } from './e2e.js';

/** Calls a route of the PDS emulator's admin API on the emulator server; answers JSON, or null for 204. */
export async function pdsAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/aliyun-pds/${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? null : await response.json()) as T;
}

/** A Bearer token from the emulator, as a user's backend would hand one to the page. */
export async function pdsToken(): Promise<string> {
  return (await pdsAdmin<{ access_token: string }>('tokens', { method: 'POST' })).access_token;
}

/** A finished file's bytes, read back from the emulator. */
export async function pdsFile(fileId: string): Promise<Uint8Array> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/aliyun-pds/files/${encodeURIComponent(fileId)}`);
  if (!response.ok) throw new Error(`file ${fileId}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The PDS API origin on the emulator server. */
export async function pdsEndpoint(): Promise<string> {
  return `${(await e2eServers()).emulatorUrl}/emulator/aliyun-pds`;
}
