import { expect } from '@open-wc/testing';
import { KooDriveEmulator } from '../../../src/emulators/huawei-koodrive-emulator.js';
import type { KooDriveEmulatorOptions } from '../../../src/emulators/huawei-koodrive-emulator.js';
import { SHA256_INITIAL_STATE, sha256Continue, sha256Finish } from '../../../src/emulators/huawei-koodrive-sha256.js';
import { makeBytes } from '../../helpers/make-blob.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const T0 = Date.UTC(2024, 0, 4, 2, 54, 0);

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

type Part = { partNumber: number; partSize: number; partOffset?: number; hashCtx?: number[] };

describe('KooDrive emulator', () => {
  let clock: number;
  let emulator: KooDriveEmulator;
  let token: string;

  function make(options: Partial<KooDriveEmulatorOptions> = {}): void {
    emulator = new KooDriveEmulator({ basePath: '/kd', apps: {}, origin: 'https://kd.example', minPartSize: KiB, now: () => clock, ...options });
    token = emulator.issueToken();
  }

  async function api(path: 'create' | 'multipart/uploadUrl' | 'complete', body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await emulator.handle(
      new Request(`https://kd.example/kd/koodrive/ose/v1/files/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer+${token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function put(url: string, bytes: Uint8Array<ArrayBuffer>): Promise<{ status: number; code: string | undefined }> {
    const response = await emulator.handle(new Request(url, { method: 'PUT', body: bytes }));
    const text = await response.text();
    return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] };
  }

  function plan(size: number, partSize: number): Part[] {
    const parts: Part[] = [];
    for (let offset = 0, n = 1; offset < size || n === 1; offset += partSize, n++) {
      parts.push({ partNumber: n, partSize: Math.min(partSize, size - offset) });
    }
    return parts;
  }

  function withContexts(parts: Part[], bytes: Uint8Array): Part[] {
    let state = [...SHA256_INITIAL_STATE];
    let offset = 0;
    return parts.map((part) => {
      const described = { ...part, partOffset: offset, ...(part.partNumber > 1 && { hashCtx: state }) };
      if (offset + part.partSize < bytes.byteLength) state = sha256Continue(state, bytes.subarray(offset, offset + part.partSize));
      offset += part.partSize;
      return described;
    });
  }

  function create(fields: Record<string, unknown>, parts: Part[]): Promise<Answer> {
    const length = parts.reduce((sum, part) => sum + part.partSize, 0);
    return api('create', { fileName: 'f.bin', fileType: '45', parentFolder: ['root'], length, uploadMode: 'multipart', uploadType: 1, autoRename: 2, multiParts: parts, ...fields });
  }

  function urlsOf(answer: Answer): string[] {
    return (answer.body.multiParts as Array<{ uploadUrl: string }>).map((part) => part.uploadUrl);
  }

  /** Creates, PUTs every part in order and completes; returns the file id. */
  async function store(bytes: Uint8Array<ArrayBuffer>, fields: Record<string, unknown> = {}): Promise<string> {
    const parts = plan(bytes.byteLength, 2 * KiB);
    const created = await create(fields, parts);
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    let offset = 0;
    for (const [index, url] of urlsOf(created).entries()) {
      const size = (parts[index] as Part).partSize;
      expect((await put(url, bytes.slice(offset, offset + size))).status).to.equal(200);
      offset += size;
    }
    expect((await api('complete', { fileId: created.body.fileId, sha256: await sha256Hex(bytes) })).status).to.equal(200);
    return created.body.fileId as string;
  }

  beforeEach(() => {
    clock = T0;
    make();
  });

  describe('its own SHA-256', () => {
    it('matches WebCrypto across block and padding boundaries, resumed from any 64-byte boundary', async () => {
      for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
        const bytes = makeBytes(length, length + 1);
        const cut = Math.floor(length / 128) * 64;
        const state = sha256Continue(SHA256_INITIAL_STATE, bytes.subarray(0, cut));
        expect(sha256Finish(state, cut, bytes.subarray(cut)), `length ${length}`).to.equal(await sha256Hex(bytes));
      }
      expect(() => sha256Continue(SHA256_INITIAL_STATE, new Uint8Array(10))).to.throw(RangeError);
    });

    it('gives the note\'s hashCtx and sha256 vectors', () => {
      const bytes = makeBytes(12_583_012);
      const part2 = sha256Continue(SHA256_INITIAL_STATE, bytes.subarray(0, 5 * MiB));
      const part3 = sha256Continue(part2, bytes.subarray(5 * MiB, 10 * MiB));
      expect(part2).to.deep.equal([3655438533, 4073892601, 3316875173, 1530022058, 1589543523, 69072919, 2922233630, 2582230432]);
      expect(part3).to.deep.equal([2708517934, 2768051628, 1531980252, 3647559436, 461815919, 1781317081, 2720703944, 1746550863]);
      expect(sha256Finish(part3, 10 * MiB, bytes.subarray(10 * MiB))).to.equal('455070a8d2bfa3642aca46e7b55f6e0f3ad5dc03a3d7bd9539b28ca12ce03c8e');
    });
  });

  describe('createFile', () => {
    it('refuses names, folders, modes and sizes KooDrive refuses', async () => {
      make({ recycledFolders: ['trash'], quotaBytes: 10 * KiB, maxFileSize: 20 * KiB });
      const one = plan(100, 100);
      const cases: Array<[Record<string, unknown>, Part[], string]> = [
        [{ fileName: 'a:b.txt' }, one, '13000102'],
        [{ fileName: '..' }, one, '13000102'],
        [{ fileName: `${'x'.repeat(77)}.txt` }, one, '13000102'],
        [{ fileType: undefined }, one, '13000102'],
        [{ parentFolder: ['nowhere'] }, one, '13000309'],
        [{ parentFolder: ['trash'] }, one, '13000404'],
        [{ uploadType: 0 }, one, '13000102'],
        [{ uploadMode: 'put' }, one, '13000102'],
        [{ autoRename: 1 }, one, '13000102'],
        [{ sha256: 'abc' }, one, '13000102'],
        [{ length: 101 }, one, '13000102'],
        [{}, plan(21 * KiB, 11 * KiB), '13000102'],
        [{}, plan(12 * KiB, 6 * KiB), '13000311'],
        [{}, [{ partNumber: 1, partSize: 500 }, { partNumber: 2, partSize: 500 }], '13000102'],
        [{}, [{ partNumber: 1, partSize: 2 * KiB }, { partNumber: 3, partSize: 10 }], '13000102'],
        [{}, [{ partNumber: 1, partSize: 2 * KiB }, { partNumber: 1, partSize: 10 }], '13000102'],
      ];
      for (const [fields, parts, code] of cases) {
        const { status, body } = await create(fields, parts);
        expect([status, body.code], JSON.stringify(fields)).to.deep.equal([400, code]);
      }
      const ok = await create({ fileName: `${'x'.repeat(76)}.txt` }, one);
      expect(ok.body.code).to.equal(0);
    });

    it('checks a parallel plan: offsets, 64-byte multiples and a context for every part but the first', async () => {
      const bytes = makeBytes(5 * KiB, 3);
      const good = withContexts(plan(bytes.byteLength, 2 * KiB), bytes);
      const broken: Array<[string, Part[]]> = [
        ['offset', good.map((part) => (part.partNumber === 2 ? { ...part, partOffset: 1 } : part))],
        ['missing hashCtx', good.map(({ hashCtx, ...part }) => (part.partNumber === 3 ? part : { ...part, ...(hashCtx && { hashCtx }) }))],
        ['short hashCtx', good.map((part) => (part.partNumber === 2 ? { ...part, hashCtx: [1, 2, 3] } : part))],
        [
          'not 64',
          [
            { partNumber: 1, partSize: 2 * KiB + 1, partOffset: 0 },
            { partNumber: 2, partSize: 3 * KiB - 1, partOffset: 2 * KiB + 1, hashCtx: [...SHA256_INITIAL_STATE] },
          ],
        ],
      ];
      for (const [what, parts] of broken) {
        const { status, body } = await create({}, parts);
        expect([status, body.code], what).to.deep.equal([400, '13000102']);
      }
      const created = await create({}, good);
      expect(created.body.code).to.equal(0);
      expect((created.body.multiParts as Part[]).map((part) => part.partOffset)).to.deep.equal([0, 2 * KiB, 4 * KiB]);
    });

    it('handles name conflicts by autoRename: 3 refuses, 2 renames, 4 reports the identical file', async () => {
      const bytes = makeBytes(3 * KiB, 5);
      const digest = await sha256Hex(bytes);
      const fileId = await store(bytes, { fileName: 'report.pdf' });
      const refused = await create({ fileName: 'report.pdf', autoRename: 3 }, plan(10, 10));
      expect([refused.status, refused.body.code]).to.deep.equal([400, '13000405']);
      const renamed = await create({ fileName: 'report.pdf', autoRename: 2 }, plan(10, 10));
      expect(renamed.body.fileName).to.equal('report_20240104_105400.pdf');
      const identical = await create({ fileName: 'report.pdf', autoRename: 4, sha256: digest.toUpperCase() }, plan(bytes.byteLength, 2 * KiB));
      expect([identical.body.exist, identical.body.fileId, identical.body.multiParts]).to.deep.equal([true, fileId, undefined]);
      const different = await create({ fileName: 'report.pdf', autoRename: 4, sha256: '0'.repeat(64) }, plan(bytes.byteLength, 2 * KiB));
      expect(different.body.exist).to.equal(false);
      expect(different.body.fileName).to.match(/^report_20240104_105400_1\.pdf$/);
    });

    it('finishes at once (rapidUpload) for a sha256 and length it already stores, under the new name', async () => {
      const bytes = makeBytes(3 * KiB, 6);
      await store(bytes, { fileName: 'first.bin' });
      const rapid = await create({ fileName: 'second.bin', sha256: await sha256Hex(bytes) }, plan(bytes.byteLength, 2 * KiB));
      expect([rapid.body.rapidUpload, rapid.body.uploadId, rapid.body.multiParts]).to.deep.equal([true, undefined, undefined]);
      expect(emulator.storedBytes(rapid.body.fileId as string)).to.deep.equal(bytes);
      expect(emulator.listFiles().map((file) => file.fileName).sort()).to.deep.equal(['first.bin', 'second.bin']);
      const otherLength = await create({ fileName: 'third.bin', sha256: await sha256Hex(bytes) }, plan(bytes.byteLength - 1, 2 * KiB));
      expect(otherLength.body.rapidUpload).to.equal(false);
      expect(emulator.stats.rapid).to.equal(1);
    });
  });

  describe('part URLs', () => {
    it('signs content-length: a body of another size is SignatureDoesNotMatch, a tampered URL too', async () => {
      const created = await create({}, plan(3 * KiB, 2 * KiB));
      const [url] = urlsOf(created) as [string];
      expect(await put(url, makeBytes(2 * KiB - 1))).to.deep.equal({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(await put(url.replace('partNumber=1', 'partNumber=2'), makeBytes(2 * KiB))).to.deep.equal({ status: 403, code: 'SignatureDoesNotMatch' });
      expect((await put(url, makeBytes(2 * KiB))).status).to.equal(200);
    });

    it('expires after X-Amz-Expires (3600 s by default), and uploadUrl hands out a fresh one', async () => {
      const created = await create({}, plan(3 * KiB, 2 * KiB));
      const [url] = urlsOf(created) as [string];
      expect(url).to.contain('X-Amz-Expires=3600').and.contain('X-Amz-SignedHeaders=content-length%3Bhost');
      clock += 3601 * 1000;
      token = emulator.issueToken();
      expect(await put(url, makeBytes(2 * KiB))).to.deep.equal({ status: 403, code: 'AccessDenied' });
      const renewed = await api('multipart/uploadUrl', { fileId: created.body.fileId, multiParts: [{ partNumber: 1, partSize: 2 * KiB }] });
      expect((await put(urlsOf(renewed)[0] as string, makeBytes(2 * KiB))).status).to.equal(200);
    });

    it('takes serial parts in ascending order only, unless switched off', async () => {
      const created = await create({}, plan(5 * KiB, 2 * KiB));
      const urls = urlsOf(created);
      expect(await put(urls[1] as string, makeBytes(2 * KiB))).to.deep.equal({ status: 400, code: 'InvalidPartOrder' });
      expect((await put(urls[0] as string, makeBytes(2 * KiB))).status).to.equal(200);
      expect((await put(urls[1] as string, makeBytes(2 * KiB))).status).to.equal(200);
      expect(await put(urls[0] as string, makeBytes(2 * KiB))).to.deep.equal({ status: 400, code: 'InvalidPartOrder' });

      make({ serialOrder: false });
      const lenient = await create({}, plan(5 * KiB, 2 * KiB));
      expect((await put(urlsOf(lenient)[1] as string, makeBytes(2 * KiB))).status).to.equal(200);
    });

    it('answers uploadUrl for an unknown file with 13000401, and for a part unlike the plan with 13000102', async () => {
      const unknown = await api('multipart/uploadUrl', { fileId: 'Fnope', multiParts: [{ partNumber: 1, partSize: 1 }] });
      expect([unknown.status, unknown.body.code]).to.deep.equal([400, '13000401']);
      const created = await create({}, plan(3 * KiB, 2 * KiB));
      const unlike = await api('multipart/uploadUrl', { fileId: created.body.fileId, multiParts: [{ partNumber: 1, partSize: KiB }] });
      expect(unlike.body.code).to.equal('13000102');
    });
  });

  describe('complete', () => {
    it('needs every planned part (13000409) and the right sha256, compared case-insensitively (13000402)', async () => {
      const bytes = makeBytes(3 * KiB, 8);
      const created = await create({}, plan(bytes.byteLength, 2 * KiB));
      const [first, second] = urlsOf(created) as [string, string];
      await put(first, bytes.slice(0, 2 * KiB));
      const early = await api('complete', { fileId: created.body.fileId });
      expect([early.status, early.body.code]).to.deep.equal([400, '13000409']);
      await put(second, bytes.slice(2 * KiB));
      const wrong = await api('complete', { fileId: created.body.fileId, sha256: 'a'.repeat(64) });
      expect([wrong.status, wrong.body.code]).to.deep.equal([400, '13000402']);
      const right = await api('complete', { fileId: created.body.fileId, sha256: (await sha256Hex(bytes)).toUpperCase() });
      expect(right.body).to.deep.equal({ code: 0, msg: 'Success.' });
      expect(emulator.storedBytes(created.body.fileId as string)).to.deep.equal(bytes);
      const again = await api('complete', { fileId: created.body.fileId });
      expect(again.body.code).to.equal('13000401');
    });

    it('checks a parallel upload\'s hashCtx chain, whatever order the parts came in', async () => {
      const bytes = makeBytes(5 * KiB, 9);
      const good = withContexts(plan(bytes.byteLength, 2 * KiB), bytes);
      const created = await create({}, good);
      const urls = urlsOf(created);
      for (const index of [2, 0, 1]) {
        expect((await put(urls[index] as string, bytes.slice(index * 2 * KiB, (index + 1) * 2 * KiB))).status).to.equal(200);
      }
      expect((await api('complete', { fileId: created.body.fileId })).body.code).to.equal(0);

      const lying = good.map((part) => (part.partNumber === 3 ? { ...part, hashCtx: [...SHA256_INITIAL_STATE] } : part));
      const second = await create({ fileName: 'lying.bin' }, lying);
      for (const [index, url] of urlsOf(second).entries()) await put(url, bytes.slice(index * 2 * KiB, (index + 1) * 2 * KiB));
      const refused = await api('complete', { fileId: second.body.fileId });
      expect([refused.body.code, refused.body.msg]).to.deep.equal(['13000402', 'File integrity check failed. Part 2\'s bytes do not lead to part 3\'s hashCtx.']);
    });
  });

  describe('gateway', () => {
    // Seed 004: "Token authentication is used to call KooDrive APIs … The format is Bearer+{access_token}", and its
    // example header is literally `Authorization:Bearer+10f88…`: one spelling, so a client sending the other is caught.
    it('slides a token\'s 20 minutes with each call, takes only "Bearer+" (seed 004), and asks for a new one once it lapsed', async () => {
      clock += 19 * 60_000;
      expect((await create({}, plan(10, 10))).status).to.equal(200);
      const spaced = await api('create', {}, { authorization: `Bearer ${token}` });
      expect([spaced.status, spaced.body.error_code]).to.deep.equal([401, 'APIGW.0301']);
      clock += 19 * 60_000;
      expect((await api('create', {}, { authorization: `Bearer+${token}` })).body.code).to.equal('13000102');
      clock += 21 * 60_000;
      const lapsed = await create({}, plan(10, 10));
      expect([lapsed.status, lapsed.body.error_code]).to.deep.equal([401, 'APIGW.0307']);
      const unknown = await api('create', {}, { authorization: 'Bearer+nope' });
      expect([unknown.status, unknown.body.error_code]).to.deep.equal([401, 'APIGW.0301']);
      make({ bearerSeparator: ' ' });
      const other = await api('create', {}, { authorization: `Bearer+${token}` });
      expect([other.status, other.body.error_code], 'switched to "Bearer ", "Bearer+" is refused').to.deep.equal([401, 'APIGW.0301']);
    });

    it('checks X-Traceid\'s 58 characters only when switched on', async () => {
      const body = { fileName: 't.bin', fileType: '45', parentFolder: ['root'], length: 0 };
      expect((await api('create', body, { 'x-traceid': 'short' })).body.code).to.equal(0);
      make({ checkTraceId: true });
      const traced = await api('create', body, { 'x-traceid': 'short' });
      expect(traced.body.msg).to.match(/X-Traceid/);
      const ok = await api('create', { ...body, fileName: 'u.bin' }, { 'x-traceid': 'x'.repeat(58) });
      expect(ok.body.code).to.equal(0);
    });

    it('fires faults: a 503 as the gateway\'s backend error, an expired token, an expired part URL', async () => {
      emulator.faults.failRequest({ operation: 'CreateFile' }, { status: 503, retryAfter: '3' });
      const failed = await create({}, plan(10, 10));
      expect([failed.status, failed.body.error_code]).to.deep.equal([503, 'APIGW.0202']);
      emulator.faults.expireUrls({ operation: 'CreateFile' });
      expect((await create({}, plan(10, 10))).body.error_code).to.equal('APIGW.0307');
      token = emulator.issueToken();
      const created = await create({}, plan(10, 10));
      emulator.faults.expireUrls({ operation: 'UploadPart', partNumber: 1 });
      expect(await put(urlsOf(created)[0] as string, makeBytes(10))).to.deep.equal({ status: 403, code: 'AccessDenied' });
      expect((await put(urlsOf(created)[0] as string, makeBytes(10))).status).to.equal(200);
    });
  });
});
