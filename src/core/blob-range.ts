/**
 * The bytes [start, end) of `blob`: the blob itself when that is all of it. In Chromium each `Blob.slice()` is an IPC
 * to the browser process, and a disk-backed File is read (and sent by XHR) from disk where a slice goes through the
 * blob registry.
 */
export function rangeOf(blob: Blob, start: number, end: number): Blob {
  return start === 0 && end === blob.size ? blob : blob.slice(start, end);
}
