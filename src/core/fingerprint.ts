import { rangeToRead } from './blob-range.js';

const SAMPLE_BYTES = 16 * 1024;

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The sampled windows as [start, end): the start, the middle and the end of the file, or all of a small file. */
function sampleWindows(size: number): Array<[number, number]> {
  if (size <= SAMPLE_BYTES * 3) return [[0, size]];
  const middle = Math.floor(size / 2) - SAMPLE_BYTES / 2;
  return [[0, SAMPLE_BYTES], [middle, middle + SAMPLE_BYTES], [size - SAMPLE_BYTES, size]];
}

/** A file's fingerprint, with the file's bytes when the sample read all of it (a file of 48 KiB or less). */
export interface FileFingerprint {
  fingerprint: string;
  wholeFile?: ArrayBuffer;
}

/**
 * Identifies a file for resume: its metadata, where it goes, and a SHA-256 of three 16 KiB windows, so that a file
 * replaced by another of the same name, size and date does not resume onto the wrong bytes. The sample is hashed by
 * WebCrypto, off the main thread's own work. A small file's bytes come with it, so that the upload need not read
 * them a second time.
 */
export async function fingerprintFile(file: File, scope: string): Promise<FileFingerprint> {
  const windows = await Promise.all(
    // A small file is read whole.
    sampleWindows(file.size).map(([start, end]) => rangeToRead(file, start, end).arrayBuffer()),
  );
  const header = new TextEncoder().encode(JSON.stringify([scope, file.name, file.size, file.lastModified, file.type]));
  const joined = new Uint8Array(header.byteLength + windows.reduce((sum, w) => sum + w.byteLength, 0));
  joined.set(header, 0);
  let offset = header.byteLength;
  for (const window of windows) {
    joined.set(new Uint8Array(window), offset);
    offset += window.byteLength;
  }
  const fingerprint = toHex(await crypto.subtle.digest('SHA-256', joined));
  const [first] = windows;
  return windows.length === 1 && first!.byteLength === file.size ? { fingerprint, wholeFile: first } : { fingerprint };
}
