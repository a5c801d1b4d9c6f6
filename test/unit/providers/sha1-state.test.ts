import { expect } from '@open-wc/testing';
import { sha1 } from 'hash-wasm';
import {
  SHA1_INITIAL_STATE,
  sha1Continue,
  sha1Finish,
  stateFromHexLe,
  stateToHexLe,
} from '../../../src/emulators/sha1-state.js';
import { makeBytes } from '../../helpers/make-blob.js';

const MiB = 1024 * 1024;

/** The note's §4 vector: 2,621,440 LCG bytes in 1 MiB slices. */
const VECTOR = [
  '87fbbab92239b2453c6dbf50e76535beecac4896',
  'accdc1ac9faf2e20c96b0d227575d9b40f13fe55',
  '43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d',
];

describe('COS v4 emulator SHA-1 (resumable states)', () => {
  const bytes = makeBytes(2_621_440);

  it('gives the note\'s datasha for slices 1 and 2 and the sha for the last, each resumed from the previous claim', () => {
    expect([...bytes.subarray(0, 8)]).to.deep.equal([0x41, 0x96, 0x27, 0xc4, 0xf9, 0x95, 0xd9, 0x9c]);
    expect(stateToHexLe(sha1Continue(SHA1_INITIAL_STATE, bytes.subarray(0, MiB)))).to.equal(VECTOR[0]);
    expect(stateToHexLe(sha1Continue(stateFromHexLe(VECTOR[0]!)!, bytes.subarray(MiB, 2 * MiB)))).to.equal(VECTOR[1]);
    expect(sha1Finish(stateFromHexLe(VECTOR[1]!)!, bytes.subarray(2 * MiB), bytes.byteLength)).to.equal(VECTOR[2]);
  });

  it('reads the little-endian words, so the big-endian form of the same state is another state', () => {
    expect(stateFromHexLe(VECTOR[0]!)![0]).to.equal(0xb9bafb87);
    const bigEndian = stateFromHexLe(VECTOR[0]!)!.map((word) => word.toString(16).padStart(8, '0')).join('');
    expect(bigEndian.startsWith('b9bafb8745b23922')).to.equal(true);
    expect(stateToHexLe(stateFromHexLe(bigEndian)!)).to.not.equal(VECTOR[0]);
    expect(stateFromHexLe('87FBBAB9')).to.equal(undefined);
  });

  it('pads like SHA-1 for tails of every length around a block', async () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = makeBytes(length, 3);
      expect(sha1Finish(SHA1_INITIAL_STATE, data, length), `length ${length}`).to.equal(await sha1(data));
    }
  });

  it('refuses a state inside a block', () => {
    expect(() => sha1Continue(SHA1_INITIAL_STATE, new Uint8Array(65))).to.throw(RangeError);
  });
});
