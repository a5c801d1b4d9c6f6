/**
 * Deterministic test bytes from the LCG the provider notes use for their vectors:
 * `x = seed; repeat: x = (x * 1103515245 + 12345) mod 2^32; byte = x >>> 24` (seed 1 gives `41 96 27 c4 f9 95 d9 9c`).
 */

const MiB = 1024 * 1024;

/** A stateful LCG byte stream; each call continues where the last one stopped. */
export function createLcg(seed = 1): (length: number) => Uint8Array<ArrayBuffer> {
  let x = seed >>> 0;
  return (length) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      // Math.imul keeps the product exact modulo 2^32, which a float multiply would not.
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    return bytes;
  };
}

/** The first `length` bytes of the LCG stream from `seed`, in one array (keep it small). */
export function makeBytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  return createLcg(seed)(length);
}

/** A File of `size` LCG bytes from `seed`, with the bytes to compare the stored object against; a fixed `lastModified`. */
export function fileWithBytes(size: number, name: string, seed: number, type = 'application/octet-stream'): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  const bytes = makeBytes(size, seed);
  return { file: new File([bytes], name, { type, lastModified: 1_700_000_000_000 }), bytes };
}

/** A Blob of `size` LCG bytes from `seed`, built from chunks so that no single array holds the whole file. */
export function makeBlob(size: number, seed = 1, chunkSize = 4 * MiB): Blob {
  const next = createLcg(seed);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for (let offset = 0; offset < size; offset += chunkSize) chunks.push(next(Math.min(chunkSize, size - offset)));
  return new Blob(chunks);
}

/** A File made in another frame of the page, as when a parent frame holds the file input: no instance of this frame's File. */
export function otherFramesFile(text: string, name: string, type: string): File {
  const frame = document.createElement('iframe');
  document.body.append(frame);
  const OtherFile = (frame.contentWindow as unknown as typeof globalThis).File;
  return new OtherFile([text], name, { type });
}
