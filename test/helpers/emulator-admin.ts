import { e2eServers } from './e2e.js';

/**
 * Calls a test-only admin route of one provider's emulator on the e2e emulator server (`/__admin/<id>/<path>`),
 * answering its JSON, or `undefined` for a 204; a refusal throws with the status and body.
 */
export async function adminRoute<T = unknown>(id: string, path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/${id}/${path}`, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw new Error(`admin ${id}/${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The bytes a provider's emulator stores under `storedPath` (`objects/<key>` or `files/<id>`, as its admin says). */
export async function storedBytesOf(id: string, storedPath: string): Promise<Uint8Array> {
  const { emulatorUrl } = await e2eServers();
  const response = await fetch(`${emulatorUrl}/__admin/${id}/${storedPath}`);
  if (!response.ok) throw new Error(`stored ${id}/${storedPath}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** An armed fault as the admin route lists it. */
export interface ArmedFault {
  id: number;
  kind: string;
  fired: number;
}
