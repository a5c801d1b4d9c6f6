import { expect } from '@open-wc/testing';
import { md5, sha1, sha256 } from 'hash-wasm';
import type { HashAlgorithm } from '../../../src/hashing/digest-spec.js';
import { createHasher, encodeDigest, encodeState, loadStateWords, readStateWords } from '../../../src/hashing/hashers.js';
import { makeBytes } from '../../helpers/make-blob.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('hashers', () => {
  describe('readStateWords', () => {
    it('reads the published initial values of MD5, SHA-1 and SHA-256', async () => {
      expect(readStateWords('md5', await createHasher('md5'))).to.deep.equal([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
      expect(readStateWords('sha1', await createHasher('sha1'))).to.deep.equal([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
      expect(readStateWords('sha256', await createHasher('sha256'))).to.deep.equal([
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
      ]);
    });

    it('reads a CRC state as the running CRC value, high word first for CRC-64', async () => {
      const expected: [HashAlgorithm, number[]][] = [
        ['crc32', [0xcbf43926]],
        ['crc32c', [0xe3069283]],
        ['crc64', [0x995dc9bb, 0xdf1939fa]],
        ['crc64nvme', [0xae8b1486, 0x0a799888]],
      ];
      for (const [algorithm, words] of expected) {
        const hasher = await createHasher(algorithm);
        hasher.update(ascii('123456789'));
        expect(readStateWords(algorithm, hasher), algorithm).to.deep.equal(words);
      }
    });
  });

  describe('loadStateWords', () => {
    const bytes = makeBytes(64 * 50 + 37, 11);
    const ALL: HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'crc32', 'crc32c', 'crc64', 'crc64nvme'];

    for (const algorithm of ALL) {
      it(`continues ${algorithm} from saved words and byte count to the same digest`, async () => {
        const whole = await createHasher(algorithm);
        whole.update(bytes);
        const expected = whole.digest();
        for (const cut of [64, 64 * 17, 64 * 50]) {
          const first = await createHasher(algorithm);
          first.update(bytes.subarray(0, cut));
          const words = readStateWords(algorithm, first);
          // A fresh hasher that never saw the bytes: only the words and the count carry over.
          const resumed = await createHasher(algorithm);
          resumed.update(ascii('noise'));
          loadStateWords(resumed, JSON.parse(JSON.stringify({ algorithm, bytes: cut, words })));
          resumed.update(bytes.subarray(cut));
          expect(resumed.digest(), `${algorithm} cut at ${cut}`).to.equal(expected);
        }
      });
    }

    it('writes the byte count, which MD5 and SHA pad into the last block', async () => {
      // Same words, wrong count: the padding encodes the length, so the digest must differ.
      const first = await createHasher('sha256');
      first.update(bytes.subarray(0, 128));
      const words = readStateWords('sha256', first);
      const right = await createHasher('sha256');
      loadStateWords(right, { algorithm: 'sha256', bytes: 128, words });
      const wrong = await createHasher('sha256');
      loadStateWords(wrong, { algorithm: 'sha256', bytes: 192, words });
      expect(right.digest()).to.equal(await sha256(bytes.subarray(0, 128)));
      expect(wrong.digest()).not.to.equal(await sha256(bytes.subarray(0, 128)));
      const md = await createHasher('md5');
      md.update(bytes.subarray(0, 64));
      const mdResumed = await createHasher('md5');
      loadStateWords(mdResumed, { algorithm: 'md5', bytes: 64, words: readStateWords('md5', md) });
      expect(mdResumed.digest()).to.equal(await md5(bytes.subarray(0, 64)));
      const sh = await createHasher('sha1');
      sh.update(bytes.subarray(0, 64 * 3));
      const shResumed = await createHasher('sha1');
      loadStateWords(shResumed, { algorithm: 'sha1', bytes: 64 * 3, words: readStateWords('sha1', sh) });
      expect(shResumed.digest()).to.equal(await sha1(bytes.subarray(0, 64 * 3)));
    });
  });

  describe('encodings', () => {
    const md5Abc = Uint8Array.from([0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72]);

    it('writes digest bytes as hex, upper hex and base64', () => {
      expect(encodeDigest(md5Abc, 'hex')).to.equal('900150983cd24fb0d6963f7d28e17f72');
      expect(encodeDigest(md5Abc, 'hex-upper')).to.equal('900150983CD24FB0D6963F7D28E17F72');
      expect(encodeDigest(md5Abc, 'base64')).to.equal('kAFQmDzST7DWlj99KOF/cg==');
    });

    it('writes a CRC as an unsigned decimal, exact beyond 2^53', () => {
      expect(encodeDigest(Uint8Array.from([0xcb, 0xf4, 0x39, 0x26]), 'decimal')).to.equal('3421780262');
      expect(encodeDigest(Uint8Array.from([0x99, 0x5d, 0xc9, 0xbb, 0xdf, 0x19, 0x39, 0xfa]), 'decimal')).to.equal('11051210869376104954');
      expect(encodeDigest(new Uint8Array(8), 'decimal')).to.equal('0');
    });

    it('writes state words as numbers or as little-endian hex', () => {
      expect(encodeState([0x67452301, 0xefcdab89], 'state-words')).to.deep.equal([0x67452301, 0xefcdab89]);
      expect(encodeState([0x67452301, 0xefcdab89], 'state-hex-le')).to.equal('0123456789abcdef');
      expect(encodeState([], 'state-hex-le')).to.equal('');
    });

    it('refuses a state encoding for a digest and the reverse', () => {
      expect(() => encodeDigest(md5Abc, 'state-words')).to.throw(RangeError);
      expect(() => encodeState([1], 'hex')).to.throw(RangeError);
    });
  });
});
