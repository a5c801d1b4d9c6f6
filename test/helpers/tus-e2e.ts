import { adminRoute, storedBytesOf } from './emulator-admin.js';
import { e2eServers } from './e2e.js';
import type { TusServerRequest } from './tus-server.js';

async function getOk(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** The bytes the real tus server stored for an upload id. */
export async function tusServerFile(id: string): Promise<Uint8Array> {
  const { tusAdminUrl } = await e2eServers();
  return new Uint8Array(await (await getOk(`${tusAdminUrl}/files/${encodeURIComponent(id)}`)).arrayBuffer());
}

/** Whether the real tus server still has an upload. */
export async function tusServerHas(id: string): Promise<boolean> {
  const { tusAdminUrl } = await e2eServers();
  return (await fetch(`${tusAdminUrl}/files/${encodeURIComponent(id)}`)).ok;
}

/** The real tus server's own record of an upload (@tus/file-store's JSON: size, metadata, …). */
export async function tusServerUpload(id: string): Promise<{ size?: number; metadata?: Record<string, string | null> }> {
  const { tusAdminUrl } = await e2eServers();
  return (await getOk(`${tusAdminUrl}/uploads/${encodeURIComponent(id)}`)).json();
}

/** The tus requests the real server answered since the last clear; `clear` empties the log after reading it. */
export async function tusServerRequests(clear = false): Promise<TusServerRequest[]> {
  const { tusAdminUrl } = await e2eServers();
  return (await getOk(`${tusAdminUrl}/requests`, { method: clear ? 'DELETE' : 'GET' })).json();
}

/**
 * Holds every creation POST the real tus server gets from now on, before the server sees it; `false` lets the held
 * ones through (even those whose client gave up) and stops holding. Resolves with how many were let through.
 */
export async function tusServerHoldPosts(hold: boolean): Promise<number> {
  const { tusAdminUrl } = await e2eServers();
  return ((await (await getOk(`${tusAdminUrl}/hold`, { method: hold ? 'POST' : 'DELETE' })).json()) as { released: number }).released;
}

/** Calls an admin route of the tus emulator on the emulator server. */
export function tusEmulatorAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('tus', path, init);
}

/** The bytes the tus emulator on the emulator server holds for an upload id. */
export function tusEmulatorFile(id: string): Promise<Uint8Array> {
  return storedBytesOf('tus', `files/${encodeURIComponent(id)}`);
}
