/**
 * SHA-1 in plain TypeScript that can start from any block-aligned state (H0..H4 plus the bytes hashed before it). PDS's
 * `parallel_sha1_ctx` and COS v4's per-slice `datasha` both hand the server such a state, and the emulators check the
 * client's claims with this code, so the check does not share hash-wasm's state layout with the client that produced
 * them: a wrong layout fails here instead of agreeing with itself.
 */

/** SHA-1's initial state H0..H4. */
export const SHA1_INITIAL_STATE: readonly number[] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

const BLOCK = 64;

/** The message schedule, as signed words so the rounds stay in V8's small-integer arithmetic (3× faster than unsigned). */
const schedule = new Int32Array(80);

function compress(state: Uint32Array, block: Uint8Array, at: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0]! | 0;
  let b = state[1]! | 0;
  let c = state[2]! | 0;
  let d = state[3]! | 0;
  let e = state[4]! | 0;
  // One loop per round function, so no round branches on its index.
  let i = 0;
  for (; i < 20; i++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; i < 40; i++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; i < 60; i++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; i < 80; i++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  // The Uint32Array store wraps each sum to 32 bits.
  state[0] = state[0]! + a;
  state[1] = state[1]! + b;
  state[2] = state[2]! + c;
  state[3] = state[3]! + d;
  state[4] = state[4]! + e;
}

/** Pads `rest` (under one block) for a message of `totalLength` bytes, compresses it into `state`, and gives lower-case hex. */
function finish(state: Uint32Array, rest: Uint8Array, totalLength: number): string {
  const tail = new Uint8Array(rest.byteLength + 1 + 8 <= BLOCK ? BLOCK : 2 * BLOCK);
  tail.set(rest);
  tail[rest.byteLength] = 0x80;
  const bits = totalLength * 8;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.byteLength - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(tail.byteLength - 4, bits >>> 0);
  for (let at = 0; at < tail.byteLength; at += BLOCK) compress(state, tail, at);
  return [...state].map((word) => word.toString(16).padStart(8, '0')).join('');
}

/** An incremental SHA-1 whose state can be read and set at block boundaries. */
export class Sha1State {
  readonly #h = new Uint32Array(5);
  readonly #buffer = new Uint8Array(BLOCK);
  #buffered = 0;
  #bytes: number;

  /** Starts from the standard initial state, or from `words` after `bytes` bytes (a multiple of 64). */
  constructor(words: readonly number[] = SHA1_INITIAL_STATE, bytes = 0) {
    if (words.length !== 5 || !words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff)) {
      throw new RangeError('A SHA-1 state is five unsigned 32-bit words.');
    }
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % BLOCK !== 0) {
      throw new RangeError(`A SHA-1 state exists only at a multiple of 64 bytes, not after ${bytes}.`);
    }
    this.#h.set(words);
    this.#bytes = bytes;
  }

  /** Bytes hashed so far, including those of the starting state. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Hashes more bytes. */
  update(data: Uint8Array): this {
    let offset = 0;
    this.#bytes += data.byteLength;
    if (this.#buffered > 0) {
      const take = Math.min(BLOCK - this.#buffered, data.byteLength);
      this.#buffer.set(data.subarray(0, take), this.#buffered);
      this.#buffered += take;
      offset = take;
      if (this.#buffered < BLOCK) return this;
      compress(this.#h, this.#buffer, 0);
      this.#buffered = 0;
    }
    for (; offset + BLOCK <= data.byteLength; offset += BLOCK) compress(this.#h, data, offset);
    this.#buffer.set(data.subarray(offset), 0);
    this.#buffered = data.byteLength - offset;
    return this;
  }

  /** H0..H4 as unsigned integers; only defined at a block boundary. */
  words(): number[] {
    if (this.#buffered !== 0) throw new RangeError(`After ${this.#bytes} bytes the SHA-1 state is inside a block.`);
    return [...this.#h];
  }

  /** Finishes the hash: the digest as upper-case hex (PDS's form). The instance is spent afterwards. */
  digestHex(): string {
    const digest = finish(this.#h, this.#buffer.subarray(0, this.#buffered), this.#bytes);
    this.#buffered = 0;
    return digest.toUpperCase();
  }
}

/** The state after feeding `bytes` (a whole number of 64-byte blocks) to a hasher in `state`. */
export function sha1Continue(state: readonly number[], bytes: Uint8Array): number[] {
  if (bytes.byteLength % BLOCK !== 0) throw new RangeError('A SHA-1 state is only defined on 64-byte block boundaries.');
  const words = Uint32Array.from(state);
  for (let at = 0; at < bytes.byteLength; at += BLOCK) compress(words, bytes, at);
  return [...words];
}

/**
 * The lower-case hex digest after feeding `bytes` to a hasher in `state` and padding for a message of `totalLength`
 * bytes (everything hashed before `state`, plus `bytes`).
 */
export function sha1Finish(state: readonly number[], bytes: Uint8Array, totalLength: number): string {
  const whole = bytes.byteLength - (bytes.byteLength % BLOCK);
  const words = Uint32Array.from(sha1Continue(state, bytes.subarray(0, whole)));
  return finish(words, bytes.subarray(whole), totalLength);
}

/** State words from COS's `datasha` form (each word's 4 bytes little-endian, hex); `undefined` if it is not 40 hex digits. */
export function stateFromHexLe(hex: string): number[] | undefined {
  if (!/^[0-9a-f]{40}$/.test(hex)) return undefined;
  const words: number[] = [];
  for (let i = 0; i < 5; i++) {
    const byte = (n: number) => parseInt(hex.slice(i * 8 + n * 2, i * 8 + n * 2 + 2), 16);
    words.push((byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24)) >>> 0);
  }
  return words;
}

/** COS's `datasha` form of state words. */
export function stateToHexLe(words: readonly number[]): string {
  return words
    .map((word) => [0, 8, 16, 24].map((shift) => ((word >>> shift) & 0xff).toString(16).padStart(2, '0')).join(''))
    .join('');
}
