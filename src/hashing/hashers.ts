/**
 * hash-wasm behind the algorithm names of `DigestSpec`, plus reading and writing hasher state as the algorithm's own
 * words. Only the worker imports this module, so hash-wasm and its WASM never load on the main thread.
 */
import { createCRC32, createCRC64, createMD5, createSHA1, createSHA256, type IHasher } from 'hash-wasm';
import type { SavedHashState } from '../core/types.js';
import type { DigestEncoding, HashAlgorithm } from './digest-spec.js';

/** A hash-wasm hasher instance. */
export type Hasher = IHasher;

const FACTORIES: Readonly<Record<HashAlgorithm, () => Promise<IHasher>>> = {
  md5: () => createMD5(),
  sha1: () => createSHA1(),
  sha256: () => createSHA256(),
  crc32: () => createCRC32(),
  crc32c: () => createCRC32(0x82f63b78),
  crc64: () => createCRC64(),
  crc64nvme: () => createCRC64('9a6c9329ac4bc9b5'),
};

/** Creates an initialised hasher for `algorithm`. */
export function createHasher(algorithm: HashAlgorithm): Promise<Hasher> {
  return FACTORIES[algorithm]();
}

/**
 * Where hash-wasm 4.13.0 keeps each algorithm's state inside the struct that `save()` returns after its 4-byte
 * version prefix (read from hash-wasm's C sources and checked against known states in the unit tests).
 * `wordOffsets` lists the struct offset of each state word in the order we report them; `writeCount` stores a byte
 * count the way that struct keeps it.
 */
interface StateLayout {
  structSize: number;
  wordOffsets: readonly number[];
  writeCount(view: DataView, bytes: number): void;
}

const PREFIX = 4;
const TWO_POW_29 = 2 ** 29;
const TWO_POW_32 = 2 ** 32;
const noCount = (): void => undefined;

const CRC32_LAYOUT: StateLayout = { structSize: 4, wordOffsets: [0], writeCount: noCount };
// The running CRC is a little-endian uint64; we report it high word first so the words read as the CRC's value.
const CRC64_LAYOUT: StateLayout = { structSize: 8, wordOffsets: [4, 0], writeCount: noCount };

const LAYOUTS: Readonly<Record<HashAlgorithm, StateLayout>> = {
  // struct { uint32 lo, hi; uint32 a, b, c, d; uint8 buffer[64]; uint32 block[16] }: lo is the byte count mod 2^29.
  md5: {
    structSize: 152,
    wordOffsets: [8, 12, 16, 20],
    writeCount: (view, bytes) => {
      view.setUint32(PREFIX, bytes % TWO_POW_29, true);
      view.setUint32(PREFIX + 4, Math.floor(bytes / TWO_POW_29), true);
    },
  },
  // struct { uint32 state[5]; uint32 count[2]; uint8 buffer[64] }: count is the bit count, low word first.
  sha1: {
    structSize: 92,
    wordOffsets: [0, 4, 8, 12, 16],
    writeCount: (view, bytes) => {
      view.setUint32(PREFIX + 20, (bytes * 8) % TWO_POW_32, true);
      view.setUint32(PREFIX + 24, Math.floor(bytes / TWO_POW_29), true);
    },
  },
  // struct { uint32 message[16]; uint64 length; uint32 hash[8]; uint32 digest_length } padded to 112 bytes.
  sha256: {
    structSize: 112,
    wordOffsets: [72, 76, 80, 84, 88, 92, 96, 100],
    writeCount: (view, bytes) => {
      view.setUint32(PREFIX + 64, bytes % TWO_POW_32, true);
      view.setUint32(PREFIX + 68, Math.floor(bytes / TWO_POW_32), true);
    },
  },
  crc32: CRC32_LAYOUT,
  crc32c: CRC32_LAYOUT,
  crc64: CRC64_LAYOUT,
  crc64nvme: CRC64_LAYOUT,
};

function checkedView(algorithm: HashAlgorithm, saved: Uint8Array): DataView {
  if (saved.length !== PREFIX + LAYOUTS[algorithm].structSize) {
    // A hash-wasm upgrade that moved the struct must fail loudly rather than report wrong state words.
    throw new Error(`hash-wasm's ${algorithm} state is ${saved.length} bytes, not the ${PREFIX + LAYOUTS[algorithm].structSize} this code reads.`);
  }
  return new DataView(saved.buffer, saved.byteOffset, saved.byteLength);
}

/** The hasher's state words (H0..Hn, or the running CRC); meaningful only at a block boundary. */
export function readStateWords(algorithm: HashAlgorithm, hasher: Hasher): number[] {
  const view = checkedView(algorithm, hasher.save());
  return LAYOUTS[algorithm].wordOffsets.map((offset) => view.getUint32(PREFIX + offset, true));
}

/**
 * Puts a hasher in the state `saved` describes, by filling a fresh `save()` blob (which carries this hash-wasm
 * build's prefix and the struct's other fields) with the saved words and byte count.
 */
export function loadStateWords(hasher: Hasher, saved: SavedHashState): void {
  const layout = LAYOUTS[saved.algorithm];
  hasher.init();
  const blob = hasher.save();
  const view = checkedView(saved.algorithm, blob);
  layout.wordOffsets.forEach((offset, i) => view.setUint32(PREFIX + offset, saved.words[i] ?? 0, true));
  layout.writeCount(view, saved.bytes);
  hasher.load(blob);
}

const HEX_DIGITS = '0123456789abcdef';

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX_DIGITS[byte >> 4] + HEX_DIGITS[byte & 15];
  return hex;
}

/** Writes digest bytes (big-endian for CRCs, as hash-wasm gives them) in a digest encoding. */
export function encodeDigest(bytes: Uint8Array, encoding: DigestEncoding): string {
  switch (encoding) {
    case 'hex':
      return toHex(bytes);
    case 'hex-upper':
      return toHex(bytes).toUpperCase();
    case 'base64':
      return btoa(String.fromCharCode(...bytes));
    case 'decimal':
      // BigInt because a CRC-64 does not fit a double.
      return BigInt(`0x${toHex(bytes) || '0'}`).toString();
    default:
      throw new RangeError(`${encoding} is not a digest encoding.`);
  }
}

/** Writes state words in a state encoding. */
export function encodeState(words: readonly number[], encoding: DigestEncoding): string | number[] {
  if (encoding === 'state-words') return [...words];
  if (encoding !== 'state-hex-le') throw new RangeError(`${encoding} is not a state encoding.`);
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setUint32(i * 4, word, true));
  return toHex(bytes);
}
