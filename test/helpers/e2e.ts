import { adminRoute, storedBytesOf } from './emulator-admin.js';
import type { E2eServers } from './e2e-servers-plugin.js';

let servers: Promise<E2eServers> | undefined;

/** Where the end-to-end servers the test runner started are listening. */
export function e2eServers(): Promise<E2eServers> {
  servers ??= fetch('/__e2e.json').then((response) => response.json() as Promise<E2eServers>);
  return servers;
}

/** Reads an object back from the emulator, as bytes. */
export function emulatorObject(key: string): Promise<Uint8Array> {
  return storedBytesOf('s3', `objects/${encodeURIComponent(key)}`);
}

/** Calls an emulator admin route. */
export function emulatorAdmin<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return adminRoute<T>('s3', path, init);
}

/** Compares two byte arrays in full; reports the first differing offset. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A disk-backed File of `size` random bytes, picked through a real `<input type=file>` as a person would. */
export async function diskFile(size: number, name: string): Promise<File> {
  const { executeServerCommand } = await import('@web/test-runner-commands');
  const input = document.createElement('input');
  input.type = 'file';
  input.id = `disk-file-${crypto.randomUUID()}`;
  document.body.append(input);
  try {
    await executeServerCommand('mcu-disk-file', { selector: `#${input.id}`, size, name });
    const file = input.files?.[0];
    if (!file) throw new Error('The file input stayed empty');
    return file;
  } finally {
    input.remove();
  }
}

/** Compares an uploaded object with its source file in 8 MiB windows; returns the first differing offset or -1. */
export async function firstDifferenceFromFile(stored: Uint8Array, file: File): Promise<number> {
  if (stored.byteLength !== file.size) return Math.min(stored.byteLength, file.size);
  const window = 8 * 1024 * 1024;
  for (let offset = 0; offset < file.size; offset += window) {
    const source = new Uint8Array(await file.slice(offset, offset + window).arrayBuffer());
    const at = firstDifference(stored.subarray(offset, offset + source.byteLength), source);
    if (at !== -1) return offset + at;
  }
  return -1;
}
