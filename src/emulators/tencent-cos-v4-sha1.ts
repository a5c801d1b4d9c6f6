/**
 * SHA-1 that starts from any saved state, for checking COS v4 `uploadparts`: each slice is verified on its own by
 * resuming from the state the client claimed for the slice before it. Plain TypeScript, so it runs in a page and in
 * Node without depending on a hash library's private state layout.
 */

/** SHA-1's initial state H0..H4. */
export const SHA1_INITIAL_STATE: readonly number[] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

const schedule = new Uint32Array(80);

function compress(state: Uint32Array, block: Uint8Array, at: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    w[i] = ((block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!) >>> 0;
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = ((x << 1) | (x >>> 31)) >>> 0;
  }
  let [a, b, c, d, e] = [state[0]!, state[1]!, state[2]!, state[3]!, state[4]!];
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
    const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) >>> 0;
    e = d;
    d = c;
    c = ((b << 30) | (b >>> 2)) >>> 0;
    b = a;
    a = temp;
  }
  state[0] = (state[0]! + a) >>> 0;
  state[1] = (state[1]! + b) >>> 0;
  state[2] = (state[2]! + c) >>> 0;
  state[3] = (state[3]! + d) >>> 0;
  state[4] = (state[4]! + e) >>> 0;
}

/** The state after feeding `bytes` (a whole number of 64-byte blocks) to a hasher in `state`. */
export function sha1Continue(state: readonly number[], bytes: Uint8Array): number[] {
  if (bytes.byteLength % 64 !== 0) throw new RangeError('A SHA-1 state is only defined on 64-byte block boundaries.');
  const words = Uint32Array.from(state);
  for (let at = 0; at < bytes.byteLength; at += 64) compress(words, bytes, at);
  return [...words];
}

/**
 * The lower-case hex digest after feeding `bytes` to a hasher in `state` and padding for a message of `totalLength`
 * bytes (everything hashed before `state`, plus `bytes`).
 */
export function sha1Finish(state: readonly number[], bytes: Uint8Array, totalLength: number): string {
  const whole = bytes.byteLength - (bytes.byteLength % 64);
  const words = Uint32Array.from(sha1Continue(state, bytes.subarray(0, whole)));
  const tailLength = bytes.byteLength - whole;
  const tail = new Uint8Array(tailLength + 1 + 8 <= 64 ? 64 : 128);
  tail.set(bytes.subarray(whole));
  tail[tailLength] = 0x80;
  const bits = totalLength * 8;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.byteLength - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(tail.byteLength - 4, bits >>> 0);
  for (let at = 0; at < tail.byteLength; at += 64) compress(words, tail, at);
  return [...words].map((word) => word.toString(16).padStart(8, '0')).join('');
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
