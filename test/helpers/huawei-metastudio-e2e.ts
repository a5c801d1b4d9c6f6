import { adminRoute, storedBytesOf } from './emulator-admin.js';

/** Calls a MetaStudio emulator admin route on the emulator server (`/__admin/huawei-metastudio/...`). */
export function metaStudioAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('huawei-metastudio', path, init);
}

/** The bytes the MetaStudio emulator stored for a file id. */
export function metaStudioObject(fileId: string): Promise<Uint8Array> {
  return storedBytesOf('huawei-metastudio', `objects/${encodeURIComponent(fileId)}`);
}
