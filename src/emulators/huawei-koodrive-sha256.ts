/**
 * SHA-256 (FIPS 180-4) in plain TypeScript with its eight state words exposed, so the KooDrive emulator can continue
 * a hash from a part's `hashCtx` the way the service does. WebCrypto cannot start from a given state, and the
 * uploader's own hashing (hash-wasm) is what the emulator checks, so it must not be reused here.
 */

/** The initial state H0..H7. */
export const SHA256_INITIAL_STATE: readonly number[] = Object.freeze([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Uint32Array(64);

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

/** Runs the compression function over every whole 64-byte block of `bytes`, in place on `state`. */
function compressBlocks(state: Uint32Array, bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset + 64 <= bytes.byteLength; offset += 64) {
    for (let t = 0; t < 16; t++) W[t] = view.getUint32(offset + 4 * t);
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15] as number;
      const w2 = W[t - 2] as number;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      W[t] = ((W[t - 16] as number) + s0 + (W[t - 7] as number) + s1) >>> 0;
    }
    let a = state[0] as number;
    let b = state[1] as number;
    let c = state[2] as number;
    let d = state[3] as number;
    let e = state[4] as number;
    let f = state[5] as number;
    let g = state[6] as number;
    let h = state[7] as number;
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (K[t] as number) + (W[t] as number)) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    state[0] = ((state[0] as number) + a) >>> 0;
    state[1] = ((state[1] as number) + b) >>> 0;
    state[2] = ((state[2] as number) + c) >>> 0;
    state[3] = ((state[3] as number) + d) >>> 0;
    state[4] = ((state[4] as number) + e) >>> 0;
    state[5] = ((state[5] as number) + f) >>> 0;
    state[6] = ((state[6] as number) + g) >>> 0;
    state[7] = ((state[7] as number) + h) >>> 0;
  }
}

/**
 * The state after hashing `bytes` on top of `state`; `bytes` must be whole 64-byte blocks (a part of a parallel
 * upload that is not the last one), else a RangeError.
 */
export function sha256Continue(state: readonly number[], bytes: Uint8Array): number[] {
  if (bytes.byteLength % 64 !== 0) throw new RangeError('Only whole 64-byte blocks can be hashed into a state.');
  const words = Uint32Array.from(state);
  compressBlocks(words, bytes);
  return [...words];
}

/**
 * The lower-case hex SHA-256 of a message whose first `bytesBefore` bytes led to `state` and whose remaining bytes
 * are `tail` (padding counts the whole message length, as a resumed hash must).
 */
export function sha256Finish(state: readonly number[], bytesBefore: number, tail: Uint8Array): string {
  if (bytesBefore % 64 !== 0) throw new RangeError('A SHA-256 state exists only at 64-byte boundaries.');
  const words = Uint32Array.from(state);
  const whole = tail.byteLength - (tail.byteLength % 64);
  compressBlocks(words, tail.subarray(0, whole));
  const rest = tail.subarray(whole);
  const padded = new Uint8Array(rest.byteLength < 56 ? 64 : 128);
  padded.set(rest);
  padded[rest.byteLength] = 0x80;
  const bits = (bytesBefore + tail.byteLength) * 8;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.byteLength - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(padded.byteLength - 4, bits >>> 0);
  compressBlocks(words, padded);
  return [...words].map((word) => word.toString(16).padStart(8, '0')).join('');
}
