/**
 * SHA-1 in plain TypeScript that can start from any block-aligned state (H0..H4 plus a byte count), which is what
 * PDS's `parallel_sha1_ctx` hands the server. The emulator checks the client's contexts with it, so the check does not
 * share hash-wasm's state layout with the client that produced them: a wrong layout fails here instead of agreeing
 * with itself.
 */

const INITIAL_STATE = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0] as const;
const BLOCK = 64;

/** An incremental SHA-1 whose state can be read and set at block boundaries. */
export class Sha1State {
  readonly #h = new Int32Array(5);
  readonly #w = new Int32Array(80);
  readonly #buffer = new Uint8Array(BLOCK);
  #buffered = 0;
  #bytes: number;

  /** Starts from the standard initial state, or from `words` after `bytes` bytes (a multiple of 64). */
  constructor(words: readonly number[] = INITIAL_STATE, bytes = 0) {
    if (words.length !== 5 || !words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff)) {
      throw new RangeError('A SHA-1 state is five unsigned 32-bit words.');
    }
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % BLOCK !== 0) {
      throw new RangeError(`A SHA-1 state exists only at a multiple of 64 bytes, not after ${bytes}.`);
    }
    words.forEach((word, i) => (this.#h[i] = word | 0));
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
      this.#compress(this.#buffer, 0);
      this.#buffered = 0;
    }
    for (; offset + BLOCK <= data.byteLength; offset += BLOCK) this.#compress(data, offset);
    this.#buffer.set(data.subarray(offset), 0);
    this.#buffered = data.byteLength - offset;
    return this;
  }

  /** H0..H4 as unsigned integers; only defined at a block boundary. */
  words(): number[] {
    if (this.#buffered !== 0) throw new RangeError(`After ${this.#bytes} bytes the SHA-1 state is inside a block.`);
    return Array.from(this.#h, (word) => word >>> 0);
  }

  /** Finishes the hash: the digest as upper-case hex. The instance is spent afterwards. */
  digestHex(): string {
    const bits = this.#bytes * 8;
    const tail = new Uint8Array(this.#buffered < 56 ? BLOCK : 2 * BLOCK);
    tail.set(this.#buffer.subarray(0, this.#buffered));
    tail[this.#buffered] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(tail.length - 4, bits % 2 ** 32);
    for (let offset = 0; offset < tail.length; offset += BLOCK) this.#compress(tail, offset);
    this.#buffered = 0;
    return Array.from(this.#h, (word) => (word >>> 0).toString(16).padStart(8, '0'))
      .join('')
      .toUpperCase();
  }

  #compress(data: Uint8Array, offset: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    const h = this.#h;
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
  }
}
