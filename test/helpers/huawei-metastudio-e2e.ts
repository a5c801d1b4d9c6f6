import { e2eServers } from './e2e.js';

/** Calls a MetaStudio emulator admin route on the emulator server (`/__admin/huawei-metastudio/...`). */
export async function metaStudioAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/huawei-metastudio/${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : response.json()) as Promise<T>;
}

/** The bytes the MetaStudio emulator stored for a file id. */
export async function metaStudioObject(fileId: string): Promise<Uint8Array> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/huawei-metastudio/objects/${encodeURIComponent(fileId)}`);
  if (!response.ok) throw new Error(`object ${fileId}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
