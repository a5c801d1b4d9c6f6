import { expect } from '@open-wc/testing';
import { crc32, crc64, md5, sha1, sha256 } from 'hash-wasm';
import { UploadError } from '../../../src/core/errors.js';
import type { SavedHashState } from '../../../src/core/types.js';
import type { DigestEncoding, DigestScope, DigestSpec, HashAlgorithm } from '../../../src/hashing/digest-spec.js';
import { HashClient, hashWorkerCount, type HashJob, type HashRun } from '../../../src/hashing/hash-client.js';
import { makeBlob, makeBytes } from '../../helpers/make-blob.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const ALGORITHMS: HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'crc32', 'crc32c', 'crc64', 'crc64nvme'];

function spec(name: string, algorithm: HashAlgorithm, scope: DigestScope = 'file', encoding: DigestEncoding = 'hex', extra: Partial<DigestSpec> = {}): DigestSpec {
  return { name, algorithm, scope, encoding, when: 'before-complete', ...extra };
}

function onePart(blob: Blob): HashJob['plan'] {
  return { partSize: Math.max(blob.size, 1), partCount: blob.size === 0 ? 0 : 1 };
}

/** The one-shot hash-wasm functions, a code path apart from the incremental hashers under test. */
function oneShot(algorithm: HashAlgorithm, bytes: Uint8Array): Promise<string> {
  switch (algorithm) {
    case 'md5':
      return md5(bytes);
    case 'sha1':
      return sha1(bytes);
    case 'sha256':
      return sha256(bytes);
    case 'crc32':
      return crc32(bytes);
    case 'crc32c':
      return crc32(bytes, 0x82f63b78);
    case 'crc64':
      return crc64(bytes);
    case 'crc64nvme':
      return crc64(bytes, '9a6c9329ac4bc9b5');
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function expectUploadError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(UploadError);
  expect((error as UploadError).code).to.equal(code);
}

/** A file written to the origin-private file system, as a user's file on disk: its `File`, its handle, and its removal. */
async function fileOnDisk(bytes: Uint8Array<ArrayBuffer>): Promise<{ file: File; handle: FileSystemFileHandle; remove: () => Promise<void> }> {
  const root = await navigator.storage.getDirectory();
  const name = `hash-client-${Math.random().toString(36).slice(2)}.bin`;
  const handle = await root.getFileHandle(name, { create: true });
  const writable = await handle.createWritable();
  await writable.write(bytes);
  await writable.close();
  return { file: await handle.getFile(), handle, remove: () => root.removeEntry(name) };
}

/** A file on disk whose bytes are replaced after the `File` was taken, as when a user edits a file mid-upload: reading it fails. */
async function fileChangedOnDisk(): Promise<{ file: File; remove: () => Promise<void> }> {
  const { file, handle, remove } = await fileOnDisk(makeBytes(256 * KiB, 1));
  const writable = await handle.createWritable();
  await writable.write(makeBytes(256 * KiB, 2));
  await writable.close();
  return { file, remove };
}

function trackProgress(run: HashRun): Array<[number, number]> {
  const events: Array<[number, number]> = [];
  run.onProgress = (bytesHashed, bytesTotal) => events.push([bytesHashed, bytesTotal]);
  return events;
}

describe('HashClient', () => {
  let client: HashClient;

  afterEach(() => client?.terminate());

  describe('known vectors', () => {
    // Standard check values; the CRC ones are the CRC catalogue's "123456789" checks.
    const VECTORS: Record<string, Record<HashAlgorithm, string>> = {
      '': {
        md5: 'd41d8cd98f00b204e9800998ecf8427e',
        sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        crc32: '00000000',
        crc32c: '00000000',
        crc64: '0000000000000000',
        crc64nvme: '0000000000000000',
      },
      abc: {
        md5: '900150983cd24fb0d6963f7d28e17f72',
        sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        crc32: '352441c2',
        crc32c: '364b3fb7',
        crc64: '2cd8094a1a277627',
        crc64nvme: '05e5cabb3fc1faeb',
      },
      '123456789': {
        md5: '25f9e794323b453885f5181f1b624d0b',
        sha1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441',
        sha256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
        crc32: 'cbf43926',
        crc32c: 'e3069283',
        crc64: '995dc9bbdf1939fa',
        crc64nvme: 'ae8b14860a799888',
      },
    };

    for (const [input, expected] of Object.entries(VECTORS)) {
      it(`gives every algorithm's digest of ${JSON.stringify(input)} as file, part and prefix`, async () => {
        client = new HashClient();
        const blob = new Blob([input]);
        const specs = ALGORITHMS.flatMap((algorithm) => [
          spec(`${algorithm}-file`, algorithm),
          spec(`${algorithm}-part`, algorithm, 'part'),
          spec(`${algorithm}-prefix`, algorithm, 'prefix', 'hex', { prefixLength: 1024 }),
        ]);
        const plan = { partSize: 64, partCount: 1 };
        const run = client.start({ blob, plan, specs });
        await run.done;
        for (const algorithm of ALGORITHMS) {
          expect(await run.digest(`${algorithm}-file`), algorithm).to.equal(expected[algorithm]);
          expect(await run.digest(`${algorithm}-part`, 1), algorithm).to.equal(expected[algorithm]);
          expect(await run.digest(`${algorithm}-prefix`), algorithm).to.equal(expected[algorithm]);
        }
      });
    }

    it('writes "123456789" in every digest encoding', async () => {
      client = new HashClient();
      const specs = [
        spec('md5-b64', 'md5', 'file', 'base64'),
        spec('sha1-upper', 'sha1', 'file', 'hex-upper'),
        spec('sha256-b64', 'sha256', 'file', 'base64'),
        spec('crc32-dec', 'crc32', 'file', 'decimal'),
        spec('crc32-b64', 'crc32', 'file', 'base64'),
        spec('crc32c-dec', 'crc32c', 'file', 'decimal'),
        spec('crc32c-b64', 'crc32c', 'file', 'base64'),
        spec('crc64-dec', 'crc64', 'file', 'decimal'),
        spec('crc64nvme-dec', 'crc64nvme', 'file', 'decimal'),
        spec('crc64nvme-b64', 'crc64nvme', 'file', 'base64'),
      ];
      const run = client.start({ blob: new Blob(['123456789']), plan: { partSize: 9, partCount: 1 }, specs });
      const got = Object.fromEntries(await Promise.all(specs.map(async ({ name }) => [name, await run.digest(name)])));
      expect(got).to.deep.equal({
        'md5-b64': 'JfnnlDI7RTiF9RgfG2JNCw==',
        'sha1-upper': 'F7C3BC1D808E04732ADF679965CCC34CA7AE3441',
        'sha256-b64': 'FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=',
        'crc32-dec': '3421780262',
        'crc32-b64': 'y/Q5Jg==',
        'crc32c-dec': '3808858755',
        'crc32c-b64': '4waSgw==',
        'crc64-dec': '11051210869376104954',
        'crc64nvme-dec': '12577168950296156296',
        'crc64nvme-b64': 'rosUhgp5mIg=',
      });
    });

    it('gives state words and little-endian state hex at part boundaries', async () => {
      client = new HashClient();
      // One block of "a": SHA-1's state after it is H0..H4 after a single compression.
      const blob = new Blob(['a'.repeat(64), 'b'.repeat(64)]);
      const specs = [
        spec('before', 'sha1', 'state-before-part', 'state-words'),
        spec('after', 'sha1', 'state-after-part', 'state-words'),
        spec('after-le', 'sha1', 'state-after-part', 'state-hex-le'),
        spec('crc-after', 'crc32', 'state-after-part', 'state-words'),
      ];
      const run = client.start({ blob, plan: { partSize: 64, partCount: 2 }, specs });
      expect(await run.digest('before', 1)).to.deep.equal([]);
      const words = (await run.digest('after', 1)) as number[];
      expect(words).to.have.length(5);
      expect(await run.digest('before', 2)).to.deep.equal(words);
      const leHex = words.map((word) => [0, 8, 16, 24].map((shift) => ((word >>> shift) & 0xff).toString(16).padStart(2, '0')).join('')).join('');
      expect(await run.digest('after-le', 1)).to.equal(leHex);
      expect(await run.digest('crc-after', 2)).to.deep.equal([parseInt(await crc32('a'.repeat(64) + 'b'.repeat(64)), 16)]);
    });
  });

  describe('chunked reads', () => {
    const cases: Array<{ size: number; partSize: number; chunkSize: number }> = [
      { size: 5000, partSize: 640, chunkSize: 7 },
      { size: 300 * KiB + 123, partSize: 64 * KiB, chunkSize: 1000 },
      { size: 1 * MiB + 1, partSize: 256 * KiB, chunkSize: 65537 },
      { size: 2 * MiB, partSize: 512 * KiB, chunkSize: 512 * KiB },
    ];
    for (const { size, partSize, chunkSize } of cases) {
      it(`matches one-shot hashing for ${size} bytes in ${partSize}-byte parts read ${chunkSize} bytes at a time`, async () => {
        client = new HashClient({ chunkSize });
        const bytes = makeBytes(size, size);
        const partCount = Math.ceil(size / partSize);
        const specs = ALGORITHMS.flatMap((algorithm) => [spec(`${algorithm}-file`, algorithm), spec(`${algorithm}-part`, algorithm, 'part')]);
        const run = client.start({ blob: new Blob([bytes]), plan: { partSize, partCount }, specs });
        await run.done;
        for (const algorithm of ALGORITHMS) {
          expect(await run.digest(`${algorithm}-file`), algorithm).to.equal(await oneShot(algorithm, bytes));
          for (let partNumber = 1; partNumber <= partCount; partNumber++) {
            const part = bytes.subarray((partNumber - 1) * partSize, partNumber * partSize);
            expect(await run.digest(`${algorithm}-part`, partNumber), `${algorithm} part ${partNumber}`).to.equal(await oneShot(algorithm, part));
          }
        }
      });
    }

    it('matches WebCrypto SHA-1 and SHA-256 across chunk boundaries', async () => {
      client = new HashClient({ chunkSize: 4099 });
      const bytes = makeBytes(100_003, 5);
      const run = client.start({ blob: new Blob([bytes]), plan: onePart(new Blob([bytes])), specs: [spec('a', 'sha1'), spec('b', 'sha256')] });
      const hex = (buffer: ArrayBuffer): string => [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
      expect(await run.digest('a')).to.equal(hex(await crypto.subtle.digest('SHA-1', bytes)));
      expect(await run.digest('b')).to.equal(hex(await crypto.subtle.digest('SHA-256', bytes)));
    });

    it('hashes the bytes a job hands over instead of reading the blob again, and takes them', async () => {
      client = new HashClient({ workers: 2 });
      // Reading this file fails, so a digest can only come from the bytes handed over.
      const { file, remove } = await fileChangedOnDisk();
      try {
        const bytes = makeBytes(256 * KiB, 1);
        const wholeFile = bytes.slice().buffer;
        const run = client.start({ blob: file, plan: onePart(file), specs: [spec('md5', 'md5', 'part')], wholeFile });
        expect(wholeFile.byteLength, 'transferred to the worker').to.equal(0);
        expect(await run.digest('md5', 1)).to.equal(await md5(bytes));
      } finally {
        await remove();
      }
    });

    it('hashes a prefix that ends inside a chunk and one longer than the file', async () => {
      client = new HashClient({ chunkSize: 300 });
      const bytes = makeBytes(2000, 9);
      const specs = [spec('p1', 'sha1', 'prefix', 'hex', { prefixLength: 1024 }), spec('p2', 'md5', 'prefix', 'hex', { prefixLength: 5000 })];
      const run = client.start({ blob: new Blob([bytes]), plan: { partSize: 1000, partCount: 2 }, specs });
      expect(await run.digest('p1')).to.equal(await sha1(bytes.subarray(0, 1024)));
      expect(await run.digest('p2')).to.equal(await md5(bytes));
    });
  });

  describe('provider vectors', () => {
    it('gives Aliyun PDS pre_hash, content_hash, parallel_sha1_ctx and crc64_hash', async () => {
      client = new HashClient();
      const specs = [
        spec('pre_hash', 'sha1', 'prefix', 'hex-upper', { prefixLength: 1024, when: 'before-create' }),
        spec('content_hash', 'sha1', 'file', 'hex-upper', { when: 'before-create' }),
        spec('ctx', 'sha1', 'state-before-part', 'state-words', { when: 'before-create' }),
        spec('crc64_hash', 'crc64', 'file', 'decimal'),
      ];
      const run = client.start({ blob: makeBlob(2_621_440), plan: { partSize: MiB, partCount: 3 }, specs });
      expect(await run.digest('pre_hash')).to.equal('C7345998A079042D6C9CD15FD4B699B331087801');
      expect(await run.digest('content_hash')).to.equal('43C3E7DEC6C828BA9641ED7E2D5AB64BD7ABD81D');
      expect(await run.digest('ctx', 1)).to.deep.equal([]);
      expect(await run.digest('ctx', 2)).to.deep.equal([3116039047, 1169307938, 1354722620, 3191170535, 2521345260]);
      expect(await run.digest('ctx', 3)).to.deep.equal([2898382252, 539930527, 571304905, 3034150261, 1442714383]);
      expect(await run.digest('crc64_hash')).to.equal('4771638537580897241');
    });

    it('gives Huawei KooDrive hashCtx and sha256', async () => {
      client = new HashClient();
      const specs = [spec('hashCtx', 'sha256', 'state-before-part', 'state-words'), spec('sha256', 'sha256')];
      const run = client.start({ blob: makeBlob(12_583_012), plan: { partSize: 5 * MiB, partCount: 3 }, specs });
      expect(await run.digest('hashCtx', 2)).to.deep.equal([3655438533, 4073892601, 3316875173, 1530022058, 1589543523, 69072919, 2922233630, 2582230432]);
      expect(await run.digest('hashCtx', 3)).to.deep.equal([2708517934, 2768051628, 1531980252, 3647559436, 461815919, 1781317081, 2720703944, 1746550863]);
      expect(await run.digest('sha256')).to.equal('455070a8d2bfa3642aca46e7b55f6e0f3ad5dc03a3d7bd9539b28ca12ce03c8e');
    });

    it('gives Tencent COS v4 datasha for slices 1 and 2 and sha', async () => {
      client = new HashClient();
      const specs = [spec('datasha', 'sha1', 'state-after-part', 'state-hex-le'), spec('sha', 'sha1')];
      const run = client.start({ blob: makeBlob(2_621_440), plan: { partSize: MiB, partCount: 3 }, specs });
      expect(await run.digest('datasha', 1)).to.equal('87fbbab92239b2453c6dbf50e76535beecac4896');
      expect(await run.digest('datasha', 2)).to.equal('accdc1ac9faf2e20c96b0d227575d9b40f13fe55');
      expect(await run.digest('sha')).to.equal('43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d');
      // The last slice's state is reported as a state; the adapter sends `sha` there, as the note says.
      expect(await run.digest('datasha', 3)).to.match(/^[0-9a-f]{40}$/).and.not.equal('43c3e7dec6c828ba9641ed7e2d5ab64bd7abd81d');
    });
  });

  describe('overlap with uploading', () => {
    it('resolves a part digest before the later parts are read', async () => {
      client = new HashClient({ chunkSize: 64 * KiB });
      const blob = makeBlob(4 * MiB, 3);
      const run = client.start({ blob, plan: { partSize: MiB, partCount: 4 }, specs: [spec('m', 'md5', 'part', 'base64')] });
      let hashed = 0;
      run.onProgress = (bytesHashed) => (hashed = bytesHashed);
      await run.digest('m', 1);
      expect(hashed).to.be.at.most(MiB);
      await run.done;
      expect(hashed).to.equal(4 * MiB);
    });
  });

  describe('progress and skipped parts', () => {
    it('reports monotonic progress that ends at the bytes read', async () => {
      client = new HashClient({ chunkSize: 64 * KiB });
      const size = 300_000;
      const run = client.start({ blob: makeBlob(size, 4), plan: { partSize: 100_000, partCount: 3 }, specs: [spec('s', 'sha256')] });
      const events = trackProgress(run);
      await run.done;
      expect(events).to.have.length(Math.ceil(size / (64 * KiB)));
      expect(events.every(([, total]) => total === size)).to.equal(true);
      expect(events.map(([hashed]) => hashed)).to.deep.equal([...events.map(([hashed]) => hashed)].sort((a, b) => a - b));
      expect(events.at(-1)).to.deep.equal([size, size]);
    });

    it('reads only the parts not skipped when only per-part digests are asked for', async () => {
      client = new HashClient({ chunkSize: 100 * KiB });
      const bytes = makeBytes(4 * 256 * KiB - 1000, 8);
      const plan = { partSize: 256 * KiB, partCount: 4 };
      const run = client.start({ blob: new Blob([bytes]), plan, specs: [spec('m', 'md5', 'part', 'base64')], skipParts: [1, 3] });
      const events = trackProgress(run);
      await run.done;
      const part = (partNumber: number): Uint8Array => bytes.subarray((partNumber - 1) * plan.partSize, partNumber * plan.partSize);
      expect(events.at(-1)).to.deep.equal([part(2).length + part(4).length, part(2).length + part(4).length]);
      const base64 = (hex: string): string => btoa(String.fromCharCode(...hex.match(/../g)!.map((pair) => parseInt(pair, 16))));
      expect(await run.digest('m', 2)).to.equal(base64(await md5(part(2))));
      expect(await run.digest('m', 4)).to.equal(base64(await md5(part(4))));
      expect(await rejection(run.digest('m', 1))).to.be.instanceOf(RangeError);
      expect(await rejection(run.digest('m', 3))).to.be.instanceOf(RangeError);
    });

    it('still reads every byte for a whole-file digest, but computes no digest for skipped parts', async () => {
      client = new HashClient();
      const bytes = makeBytes(3000, 2);
      const run = client.start({
        blob: new Blob([bytes]),
        plan: { partSize: 1024, partCount: 3 },
        specs: [spec('f', 'crc32c'), spec('p', 'crc32c', 'part')],
        skipParts: [2],
      });
      const events = trackProgress(run);
      await run.done;
      expect(events.at(-1)).to.deep.equal([3000, 3000]);
      expect(await run.digest('f')).to.equal(await crc32(bytes, 0x82f63b78));
      expect(await run.digest('p', 3)).to.equal(await crc32(bytes.subarray(2048), 0x82f63b78));
      expect(await rejection(run.digest('p', 2))).to.be.instanceOf(RangeError);
    });
  });

  describe('saved state', () => {
    const size = MiB + 100;
    const plan = { partSize: 256 * KiB, partCount: 5 };
    const specs = ALGORITHMS.map((algorithm) => spec(algorithm, algorithm));

    async function digestsOf(run: HashRun): Promise<string[]> {
      return Promise.all(ALGORITHMS.map(async (algorithm) => (await run.digest(algorithm)) as string));
    }

    it('continues from a checkpointed state to the same digests while reading only the rest', async () => {
      client = new HashClient({ chunkSize: 256 * KiB });
      const blob = makeBlob(size, 12);
      const first = client.start({ blob, plan, specs });
      let checkpoint: SavedHashState[] = [];
      first.onProgress = (bytesHashed) => {
        if (bytesHashed === 2 * plan.partSize) checkpoint = first.savedState();
      };
      const expected = await digestsOf(first);
      expect(checkpoint.map(({ algorithm, bytes }) => [algorithm, bytes])).to.have.deep.members(ALGORITHMS.map((algorithm) => [algorithm, 2 * plan.partSize]));

      // As a checkpoint would store it, and on a new worker.
      client.terminate();
      const resumeFrom = JSON.parse(JSON.stringify(checkpoint)) as SavedHashState[];
      const resumed = client.start({ blob, plan, specs, resumeFrom });
      const events = trackProgress(resumed);
      expect(await digestsOf(resumed)).to.deep.equal(expected);
      await resumed.done;
      expect(events.at(-1)).to.deep.equal([size - 2 * plan.partSize, size - 2 * plan.partSize]);
      // The latest boundary on a 64-byte block for MD5 and SHA is 1 MiB; CRCs save at the end, 100 bytes later.
      expect(resumed.savedState().map(({ algorithm, bytes }) => [algorithm, bytes])).to.have.deep.members(
        ALGORITHMS.map((algorithm) => [algorithm, algorithm.startsWith('crc') ? size : MiB]),
      );
    });

    it('ignores saved states that do not fit the file and re-reads it', async () => {
      client = new HashClient();
      const bytes = makeBytes(5000, 6);
      const bogus: SavedHashState[] = [
        { algorithm: 'sha1', bytes: 6400, words: [1, 2, 3, 4, 5] },
        { algorithm: 'sha1', bytes: 1000, words: [1, 2, 3, 4, 5] },
        { algorithm: 'sha1', bytes: 1024, words: [1, 2, 3] },
        { algorithm: 'md5', bytes: 1024, words: [1, 2, 3, 4] },
      ];
      const run = client.start({ blob: new Blob([bytes]), plan: { partSize: 1024, partCount: 5 }, specs: [spec('s', 'sha1')], resumeFrom: bogus });
      const events = trackProgress(run);
      expect(await run.digest('s')).to.equal(await sha1(bytes));
      await run.done;
      expect(events.at(-1)).to.deep.equal([5000, 5000]);
    });

    it('does not resume past a part whose state is still owed', async () => {
      client = new HashClient({ chunkSize: MiB });
      const blob = makeBlob(2_621_440);
      const ctx = spec('ctx', 'sha1', 'state-before-part', 'state-words');
      const full = client.start({ blob, plan: { partSize: MiB, partCount: 3 }, specs: [ctx] });
      await full.done;
      const atEnd = full.savedState();
      expect(atEnd).to.have.length(1);
      expect(atEnd[0]!.bytes).to.equal(2_621_440);
      const early = client.start({ blob, plan: { partSize: MiB, partCount: 3 }, specs: [ctx] });
      let atTwoMiB: SavedHashState[] = [];
      early.onProgress = (bytesHashed) => {
        if (bytesHashed === 2 * MiB) atTwoMiB = early.savedState();
      };
      await early.done;
      expect(atTwoMiB[0]?.bytes).to.equal(2 * MiB);

      // Part 2's state lies before the saved 2 MiB, so the state is not used and the file is read from the start.
      const needsPart2 = client.start({ blob, plan: { partSize: MiB, partCount: 3 }, specs: [ctx], resumeFrom: [...atTwoMiB, ...atEnd] });
      const needsPart2Progress = trackProgress(needsPart2);
      expect(await needsPart2.digest('ctx', 2)).to.deep.equal([3116039047, 1169307938, 1354722620, 3191170535, 2521345260]);
      await needsPart2.done;
      expect(needsPart2Progress.at(-1)).to.deep.equal([2_621_440, 2_621_440]);

      // With parts 1 and 2 uploaded, part 3's state is the saved one and nothing is read.
      const onlyPart3 = client.start({ blob, plan: { partSize: MiB, partCount: 3 }, specs: [ctx], skipParts: [1, 2], resumeFrom: [...atTwoMiB, ...atEnd] });
      const onlyPart3Progress = trackProgress(onlyPart3);
      expect(await onlyPart3.digest('ctx', 3)).to.deep.equal([2898382252, 539930527, 571304905, 3034150261, 1442714383]);
      await onlyPart3.done;
      expect(onlyPart3Progress.at(-1)).to.deep.equal([2_621_440 - 2 * MiB, 2_621_440 - 2 * MiB]);
    });

    it('saves CRC state at any part boundary but SHA state only on block boundaries', async () => {
      client = new HashClient();
      const run = client.start({ blob: makeBlob(5000, 3), plan: { partSize: 1000, partCount: 5 }, specs: [spec('s', 'sha1'), spec('c', 'crc32')] });
      await run.done;
      // 5000 bytes in 1000-byte parts: no part boundary falls on a 64-byte block, so SHA-1 never has a savable state.
      expect(run.savedState().map(({ algorithm, bytes }) => [algorithm, bytes])).to.deep.equal([['crc32', 5000]]);
    });
  });

  describe('failures', () => {
    it('rejects at once for a job built wrongly', () => {
      client = new HashClient();
      const blob = new Blob(['x'.repeat(100)]);
      expect(() => client.start({ blob, plan: { partSize: 10, partCount: 5 }, specs: [] })).to.throw(RangeError);
      expect(() => client.start({ blob, plan: onePart(blob), specs: [spec('a', 'sha1', 'file', 'decimal')] })).to.throw(RangeError);
      expect(() => client.start({ blob, plan: onePart(blob), specs: [spec('a', 'sha1', 'file', 'state-words')] })).to.throw(RangeError);
      expect(() => client.start({ blob, plan: onePart(blob), specs: [spec('a', 'sha1', 'state-after-part', 'hex')] })).to.throw(RangeError);
      expect(() => client.start({ blob, plan: onePart(blob), specs: [spec('a', 'sha1'), spec('a', 'md5')] })).to.throw(RangeError);
      expect(() => new HashClient({ chunkSize: 0 })).to.throw(RangeError);
    });

    it('rejects digests that can never exist', async () => {
      client = new HashClient();
      const run = client.start({
        blob: new Blob(['y'.repeat(3000)]),
        plan: { partSize: 1000, partCount: 3 },
        specs: [spec('state', 'sha1', 'state-after-part', 'state-words'), spec('crc', 'crc64', 'state-after-part', 'state-words'), spec('p', 'md5', 'part')],
      });
      expect(await rejection(run.digest('nope'))).to.be.instanceOf(RangeError);
      expect(await rejection(run.digest('p', 4))).to.be.instanceOf(RangeError);
      expect(await rejection(run.digest('p'))).to.be.instanceOf(RangeError);
      // 1000 bytes is not a whole number of 64-byte blocks.
      expect(await rejection(run.digest('state', 1))).to.be.instanceOf(RangeError);
      expect(await run.digest('crc', 1)).to.have.length(2);
      await run.done;
    });

    it('rejects with file-unreadable when the file changed on disk', async () => {
      client = new HashClient();
      const { file, remove } = await fileChangedOnDisk();
      try {
        const run = client.start({ blob: file, plan: { partSize: 128 * KiB, partCount: 2 }, specs: [spec('s', 'sha256'), spec('p', 'md5', 'part')] });
        await expectUploadError(run.done, 'file-unreadable');
        await expectUploadError(run.digest('s'), 'file-unreadable');
        await expectUploadError(run.digest('p', 2), 'file-unreadable');
      } finally {
        await remove();
      }
    });

    it('rejects with file-unreadable when the file changes while it is being read', async () => {
      client = new HashClient({ chunkSize: 64 * KiB });
      const size = 64 * MiB;
      const root = await navigator.storage.getDirectory();
      const name = `hash-client-${Math.random().toString(36).slice(2)}.bin`;
      const handle = await root.getFileHandle(name, { create: true });
      try {
        const writable = await handle.createWritable();
        await writable.write(makeBlob(size, 1));
        await writable.close();
        const run = client.start({ blob: await handle.getFile(), plan: { partSize: size, partCount: 1 }, specs: [spec('s', 'sha256')] });
        let hashed = 0;
        let rewrite: Promise<void> | undefined;
        run.onProgress = (bytesHashed) => {
          hashed = bytesHashed;
          rewrite ??= (async () => {
            const patch = await handle.createWritable({ keepExistingData: true });
            await patch.write({ type: 'write', position: 0, data: new Uint8Array([1, 2, 3]) });
            await patch.close();
          })();
        };
        await expectUploadError(run.done, 'file-unreadable');
        await rewrite;
        expect(hashed).to.be.below(size);
      } finally {
        await root.removeEntry(name);
      }
    });

    it('rejects with file-unreadable when the file was deleted', async () => {
      client = new HashClient();
      const { file, remove } = await fileOnDisk(makeBytes(64 * KiB, 1));
      await remove();
      const run = client.start({ blob: file, plan: { partSize: 64 * KiB, partCount: 1 }, specs: [spec('s', 'sha1')] });
      await expectUploadError(run.done, 'file-unreadable');
    });

    it('rejects with an UploadError instead of hanging when the worker cannot start', async () => {
      const broken = URL.createObjectURL(new Blob(['this is not JavaScript'], { type: 'text/javascript' }));
      client = new HashClient({ createWorker: () => new Worker(broken, { type: 'module' }) });
      const run = client.start({ blob: new Blob(['abc']), plan: { partSize: 3, partCount: 1 }, specs: [spec('s', 'sha1')] });
      const error = await rejection(run.done);
      expect(error).to.be.instanceOf(UploadError);
      expect(await rejection(run.digest('s'))).to.equal(error);
    });
  });

  describe('worker pool', () => {
    const workerUrl = new URL('../../../src/hashing/hash.worker.ts', import.meta.url);
    let created = 0;
    const counted = (): Worker => {
      created++;
      return new Worker(workerUrl, { type: 'module' });
    };
    beforeEach(() => (created = 0));

    const base64 = (hex: string): string => btoa(String.fromCharCode(...hex.match(/../g)!.map((pair) => parseInt(pair, 16))));

    it('spreads per-part digests over the workers and reads each part once', async () => {
      client = new HashClient({ chunkSize: 100 * KiB, workers: 3, createWorker: counted });
      const plan = { partSize: 256 * KiB, partCount: 7 };
      const bytes = makeBytes(7 * 256 * KiB - 999, 11);
      const run = client.start({ blob: new Blob([bytes]), plan, specs: [spec('m', 'md5', 'part', 'base64'), spec('c', 'crc32c', 'part', 'base64')], skipParts: [2] });
      const events = trackProgress(run);
      await run.done;
      expect(created).to.equal(3);
      const sent = bytes.length - 256 * KiB;
      expect(events.at(-1)).to.deep.equal([sent, sent]);
      expect(events.map(([hashed]) => hashed)).to.deep.equal([...events.map(([hashed]) => hashed)].sort((a, b) => a - b));
      for (const partNumber of [1, 3, 4, 5, 6, 7]) {
        const part = bytes.subarray((partNumber - 1) * plan.partSize, partNumber * plan.partSize);
        expect(await run.digest('m', partNumber)).to.equal(base64(await md5(part)));
        expect(await run.digest('c', partNumber)).to.equal(base64(await crc32(part, 0x82f63b78)));
      }
      expect(await rejection(run.digest('m', 2))).to.be.instanceOf(RangeError);
    });

    it('gives a one-piece job to a started worker with nothing to do before starting another, and to a free one before a busy one', async () => {
      client = new HashClient({ chunkSize: 64 * KiB, workers: 2, createWorker: counted });
      const plan = { partSize: 3, partCount: 1 };
      for (const text of ['abc', 'def', 'ghi']) {
        const run = client.start({ blob: new Blob([text]), plan, specs: [spec('m', 'md5', 'part')] });
        expect(await run.digest('m', 1)).to.equal(await md5(text));
        await run.done;
      }
      expect(created, 'one warm worker serves files one after another').to.equal(1);
      // A long job holds the warm worker: a small file goes to the other one, and does not wait behind it.
      const long = client.start({ blob: makeBlob(64 * MiB, 3), plan: { partSize: 64 * MiB, partCount: 1 }, specs: [spec('s', 'sha256', 'part')] });
      const small = client.start({ blob: new Blob(['jkl']), plan, specs: [spec('m', 'md5', 'part')] });
      expect(await small.digest('m', 1)).to.equal(await md5('jkl'));
      expect(created).to.equal(2);
      let longFinished = false;
      void long.done.then(() => (longFinished = true), () => undefined);
      const afterLong = client.start({ blob: new Blob(['mno']), plan, specs: [spec('m', 'md5', 'part')] });
      expect(await afterLong.digest('m', 1)).to.equal(await md5('mno'));
      expect(longFinished, 'the free worker took it while the long job ran').to.equal(false);
      long.cancel();
      await long.done.catch(() => undefined);
    });

    it('uses no more workers than there are parts to hash', async () => {
      client = new HashClient({ workers: 4, createWorker: counted });
      const run = client.start({ blob: new Blob(['abcdef']), plan: { partSize: 3, partCount: 2 }, specs: [spec('m', 'md5', 'part')] });
      expect(await run.digest('m', 2)).to.equal(await md5('def'));
      await run.done;
      expect(created).to.equal(2);
    });

    it('reads a whole-file job in one worker and hashes it in another, to the same digests and states', async () => {
      client = new HashClient({ chunkSize: 64 * KiB, workers: 2, createWorker: counted });
      const bytes = makeBytes(MiB + 77, 12);
      const plan = { partSize: 256 * KiB, partCount: 5 };
      const run = client.start({
        blob: new Blob([bytes]),
        plan,
        specs: [spec('s', 'sha1'), spec('m', 'md5', 'part', 'base64'), spec('ctx', 'sha1', 'state-after-part', 'state-words')],
      });
      const events = trackProgress(run);
      await run.done;
      expect(created).to.equal(2);
      expect(events.at(-1)).to.deep.equal([bytes.length, bytes.length]);
      expect(await run.digest('s')).to.equal(await sha1(bytes));
      expect(await run.digest('m', 5)).to.equal(base64(await md5(bytes.subarray(4 * plan.partSize))));
      const single = new HashClient({ chunkSize: 64 * KiB });
      try {
        const alone = single.start({ blob: new Blob([bytes]), plan, specs: [spec('ctx', 'sha1', 'state-after-part', 'state-words')] });
        expect(await run.digest('ctx', 2)).to.deep.equal(await alone.digest('ctx', 2));
      } finally {
        single.terminate();
      }
    });

    it('fails split jobs with file-unreadable when the file changed on disk', async () => {
      client = new HashClient({ chunkSize: 64 * KiB, workers: 2 });
      const { file, remove } = await fileChangedOnDisk();
      try {
        const plan = { partSize: 128 * KiB, partCount: 2 };
        const whole = client.start({ blob: file, plan, specs: [spec('s', 'sha256')] });
        const parts = client.start({ blob: file, plan, specs: [spec('p', 'md5', 'part')] });
        await expectUploadError(whole.digest('s'), 'file-unreadable');
        await expectUploadError(parts.done, 'file-unreadable');
        await expectUploadError(parts.digest('p', 1), 'file-unreadable');
        await expectUploadError(parts.digest('p', 2), 'file-unreadable');
      } finally {
        await remove();
      }
    });

    it('cancel stops every worker of a split job, and the pool keeps working', async () => {
      client = new HashClient({ chunkSize: 256 * KiB, workers: 3, createWorker: counted });
      const run = client.start({ blob: makeBlob(48 * MiB, 5), plan: { partSize: 4 * MiB, partCount: 12 }, specs: [spec('p', 'sha256', 'part')] });
      let afterCancel = 0;
      let canceled = false;
      run.onProgress = () => {
        if (canceled) afterCancel++;
        else {
          canceled = true;
          run.cancel();
        }
      };
      await expectUploadError(run.done, 'aborted');
      await expectUploadError(run.digest('p', 12), 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(afterCancel).to.equal(0);
      const next = client.start({ blob: new Blob(['abc']), plan: { partSize: 3, partCount: 1 }, specs: [spec('s', 'sha1')] });
      expect(await next.digest('s')).to.equal('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(created).to.equal(3);
    });

    describe('idle workers', () => {
      let ended: Worker[] = [];
      /** A worker whose end the test sees. */
      const watched = (): Worker => {
        const worker = counted();
        const terminate = worker.terminate.bind(worker);
        worker.terminate = () => {
          ended.push(worker);
          terminate();
        };
        return worker;
      };
      const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const md5Of = async (text: string): Promise<string | number[]> => {
        const run = client.start({ blob: new Blob([text]), plan: { partSize: text.length, partCount: 1 }, specs: [spec('m', 'md5', 'part')] });
        await run.done;
        return run.digest('m', 1);
      };
      beforeEach(() => (ended = []));

      it('ends a worker that had nothing to do for idleMs, keeps one that keeps getting jobs, and starts anew after', async () => {
        client = new HashClient({ workers: 2, idleMs: 300, createWorker: watched });
        for (let job = 0; job < 6; job++) {
          expect(await md5Of(`file ${job}`)).to.equal(await md5(`file ${job}`));
          await wait(100);
        }
        expect(created, 'one worker served every job').to.equal(1);
        expect(ended, 'jobs 100 ms apart keep it').to.have.length(0);
        await wait(500);
        expect(ended, 'ended after 300 ms with nothing to do').to.have.length(1);
        expect(await md5Of('later')).to.equal(await md5('later'));
        expect(created).to.equal(2);
      });

      it('ends both workers of a whole-file job, the reading one and the hashing one, once it is done', async () => {
        client = new HashClient({ chunkSize: 64 * KiB, workers: 2, idleMs: 100, createWorker: watched });
        const run = client.start({ blob: makeBlob(MiB, 4), plan: { partSize: MiB, partCount: 1 }, specs: [spec('s', 'sha256')] });
        await run.done;
        expect(created).to.equal(2);
        await wait(400);
        expect(ended).to.have.length(2);
      });

      it('ends a worker as soon as it has nothing to do once it was handed retireAfterBytes of Blobs (64 MiB unless set)', async () => {
        client = new HashClient({ workers: 1, retireAfterBytes: 1000, createWorker: watched });
        const half = 'x'.repeat(600);
        await md5Of(half);
        expect(ended).to.have.length(0);
        await md5Of(half);
        expect(ended, 'retired without waiting for the idle time').to.have.length(1);
        expect(await md5Of('abc')).to.equal(await md5('abc'));
        expect(created).to.equal(2);
        client.terminate();
        ended = [];
        client = new HashClient({ workers: 1, createWorker: watched });
        const large = client.start({ blob: makeBlob(64 * MiB, 7), plan: { partSize: 64 * MiB, partCount: 1 }, specs: [spec('m', 'md5', 'part')] });
        await large.done;
        expect(ended, 'a 64 MiB Blob is let go of when its hashing ends').to.have.length(1);
      });

      it('does not end a worker while a canceled job is replaced by the next one', async () => {
        client = new HashClient({ chunkSize: 64 * KiB, workers: 1, idleMs: 200, retireAfterBytes: 1024 * MiB, createWorker: watched });
        const run = client.start({ blob: makeBlob(64 * MiB, 6), plan: { partSize: 64 * MiB, partCount: 1 }, specs: [spec('s', 'sha256')] });
        run.cancel();
        await run.done.catch(() => undefined);
        expect(await md5Of('next')).to.equal(await md5('next'));
        expect(ended).to.have.length(0);
        expect(created).to.equal(1);
      });
    });

    it('sizes the pool from the cores, at least one and at most one more than the parts in flight', () => {
      expect(hashWorkerCount(4, 2)).to.equal(2);
      expect(hashWorkerCount(4, 16)).to.equal(5);
      expect(hashWorkerCount(1, 8)).to.equal(2);
      expect(hashWorkerCount(4, 0)).to.equal(1);
    });
  });

  describe('cancel and terminate', () => {
    it('cancel stops reading and rejects with aborted, and the client keeps working', async () => {
      client = new HashClient({ chunkSize: 256 * KiB });
      const run = client.start({ blob: makeBlob(32 * MiB, 5), plan: { partSize: 8 * MiB, partCount: 4 }, specs: [spec('s', 'sha256'), spec('p', 'md5', 'part')] });
      let afterCancel = 0;
      let canceled = false;
      run.onProgress = () => {
        if (canceled) afterCancel++;
        else {
          canceled = true;
          run.cancel();
        }
      };
      await expectUploadError(run.done, 'aborted');
      await expectUploadError(run.digest('s'), 'aborted');
      await expectUploadError(run.digest('p', 4), 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(afterCancel).to.equal(0);

      const next = client.start({ blob: new Blob(['abc']), plan: { partSize: 3, partCount: 1 }, specs: [spec('s', 'sha1')] });
      expect(await next.digest('s')).to.equal('a9993e364706816aba3e25717850c26c9cd0d89d');
    });

    it('terminate rejects running jobs with aborted and the next job starts a new worker', async () => {
      let workers = 0;
      client = new HashClient({
        chunkSize: 256 * KiB,
        createWorker: () => {
          workers++;
          return new Worker(new URL('../../../src/hashing/hash.worker.ts', import.meta.url), { type: 'module' });
        },
      });
      expect(workers).to.equal(0);
      const run = client.start({ blob: makeBlob(64 * MiB, 5), plan: { partSize: 64 * MiB, partCount: 1 }, specs: [spec('s', 'sha256')] });
      const other = client.start({ blob: new Blob(['abc']), plan: { partSize: 3, partCount: 1 }, specs: [spec('s', 'md5')] });
      expect(workers).to.equal(1);
      expect(await other.digest('s')).to.equal('900150983cd24fb0d6963f7d28e17f72');
      client.terminate();
      await expectUploadError(run.done, 'aborted');
      const next = client.start({ blob: new Blob(['abc']), plan: { partSize: 3, partCount: 1 }, specs: [spec('s', 'sha1')] });
      expect(await next.digest('s')).to.equal('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(workers).to.equal(2);
    });
  });
});
