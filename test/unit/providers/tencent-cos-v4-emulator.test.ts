import { expect } from '@open-wc/testing';
import { sha1 } from 'hash-wasm';
import { TencentCosV4Emulator, type TencentCosV4EmulatorOptions } from '../../../src/emulators/tencent-cos-v4-emulator.js';
import { COS_V4_DOC_FIELD_ORDER, cosV4Original, signCosV4, type CosV4SignatureInput } from '../../../src/server/tencent-cos-v4-handler.js';
import { SHA1_INITIAL_STATE, sha1Continue, stateToHexLe } from '../../../src/emulators/sha1-state.js';
import { makeBytes } from '../../helpers/make-blob.js';

const KiB = 1024;
const APP_ID = '1250000000';
const BUCKET = 'unitbucket';
const KEYS = { secretId: 'AKIDUNIT', secretKey: 'unit-secret' };
const T0 = 1_700_000_000;
const SLICE = 512 * KiB;

let clock = T0 * 1000;

function emulatorWith(options: Partial<TencentCosV4EmulatorOptions> = {}) {
  return new TencentCosV4Emulator({ basePath: '/cos', appId: APP_ID, bucket: BUCKET, credentials: KEYS, now: () => clock, directories: ['dir/'], ...options });
}

function sign(overrides: Partial<CosV4SignatureInput> = {}, secretKey = KEYS.secretKey, order?: typeof COS_V4_DOC_FIELD_ORDER) {
  const input: CosV4SignatureInput = {
    appId: APP_ID,
    bucket: BUCKET,
    secretId: KEYS.secretId,
    currentTime: T0,
    expiresAt: T0 + 600,
    rand: 42,
    ...overrides,
  };
  return signCosV4(secretKey, cosV4Original(input, order));
}

interface Call {
  code: number;
  status: number;
  data: Record<string, unknown>;
}

async function call(
  emulator: TencentCosV4Emulator,
  fields: Record<string, string | Blob>,
  options: { path?: string; bucket?: string; signature?: string; inQuery?: boolean } = {},
): Promise<Call> {
  const signature = options.signature ?? (await sign());
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const url = `https://cos.test/cos/files/v2/${APP_ID}/${options.bucket ?? BUCKET}/${options.path ?? 'dir/a.bin'}`;
  const request = options.inQuery
    ? new Request(`${url}?sign=${encodeURIComponent(signature)}`, { method: 'POST', body: form })
    : new Request(url, { method: 'POST', body: form, headers: { authorization: signature } });
  const response = await emulator.handle(request);
  const body = (await response.json()) as { code: number; data?: Record<string, unknown> };
  return { code: body.code, status: response.status, data: body.data ?? {} };
}

/** A file of `slices` full slices plus a tail, its sha and its uploadparts. */
async function fileOf(size: number, seed = 1) {
  const bytes = makeBytes(size, seed);
  const sha = await sha1(bytes);
  const parts: Array<{ offset: number; datalen: number; datasha: string }> = [];
  let state = [...SHA1_INITIAL_STATE];
  for (let offset = 0; offset < size; offset += SLICE) {
    const slice = bytes.subarray(offset, Math.min(offset + SLICE, size));
    const last = offset + SLICE >= size;
    if (!last) state = sha1Continue(state, slice);
    parts.push({ offset, datalen: slice.byteLength, datasha: last ? sha : stateToHexLe(state) });
  }
  return { bytes, sha, parts, slice: (offset: number) => new Blob([bytes.subarray(offset, Math.min(offset + SLICE, size))]) };
}

async function init(emulator: TencentCosV4Emulator, file: Awaited<ReturnType<typeof fileOf>>, extra: Record<string, string> = {}) {
  return call(emulator, {
    op: 'upload_slice_init',
    filesize: String(file.bytes.byteLength),
    slice_size: String(SLICE),
    sha: file.sha,
    uploadparts: JSON.stringify(file.parts),
    ...extra,
  });
}

describe('Tencent COS v4 emulator', () => {
  beforeEach(() => {
    clock = T0 * 1000;
  });

  describe('signatures', () => {
    it('accepts the header or the sign query, with the fields in either order', async () => {
      const emulator = emulatorWith();
      expect((await call(emulator, { op: 'upload_slice_list' })).status).to.equal(404);
      expect((await call(emulator, { op: 'upload_slice_list' }, { inQuery: true })).status).to.equal(404);
      expect((await call(emulator, { op: 'upload_slice_list' }, { signature: await sign({}, KEYS.secretKey, COS_V4_DOC_FIELD_ORDER) })).status).to.equal(404);
    });

    it('refuses each wrong field with its own code', async () => {
      const emulator = emulatorWith();
      const list = { op: 'upload_slice_list' };
      const code = async (signature: string, path?: string) => (await call(emulator, list, { signature, path })).code;
      expect(await code(await sign({ secretId: 'AKIDOTHER' }))).to.equal(-47);
      expect(await code(await sign({}, 'wrong-secret'))).to.equal(-97);
      expect(await code(await sign({ appId: '1250000001' }))).to.equal(-70);
      expect(await code(await sign({ bucket: 'otherbucket' }))).to.equal(-61);
      expect(await code(await sign({ currentTime: T0 - 700, expiresAt: T0 - 1 }))).to.equal(-59);
      expect(await code(await sign({ expiresAt: T0 + 91 * 24 * 3600 }))).to.equal(-48);
      expect(await code(await sign({ fileId: `/${APP_ID}/${BUCKET}/dir/other.bin` }))).to.equal(-63);
      expect(await code(await sign({ fileId: `/${APP_ID}/${BUCKET}/dir/a.bin` }))).to.equal(-197);
      expect(await code(btoa('no hmac here, just text that is long enough'))).to.equal(-48);
      const unsigned = new FormData();
      unsigned.set('op', 'upload_slice_list');
      const missing = await emulator.handle(new Request(`https://cos.test/cos/files/v2/${APP_ID}/${BUCKET}/a`, { method: 'POST', body: unsigned }));
      expect(((await missing.json()) as { code: number }).code).to.equal(-48);
    });

    it('expires on the emulator clock and on an armed expire fault', async () => {
      const emulator = emulatorWith();
      const signature = await sign();
      clock = (T0 + 600) * 1000;
      expect((await call(emulator, { op: 'upload_slice_list' }, { signature })).code).to.equal(-59);
      clock = T0 * 1000;
      emulator.faults.expireUrls({ operation: 'upload_slice_list' });
      expect((await call(emulator, { op: 'upload_slice_list' }, { signature })).code).to.equal(-59);
      expect((await call(emulator, { op: 'upload_slice_list' }, { signature })).code).to.equal(-197);
    });

    it('answers -133 for a bucket it does not have and -5999 for an unknown op', async () => {
      const emulator = emulatorWith();
      const other = await sign({ bucket: 'nobucket' });
      expect(await call(emulator, { op: 'upload_slice_list' }, { bucket: 'nobucket', signature: other })).to.deep.include({ code: -133, status: 404 });
      expect(await call(emulator, { op: 'stat' })).to.deep.include({ code: -5999, status: 400 });
    });
  });

  describe('init', () => {
    it('checks slice_size, uploadparts and the last datasha', async () => {
      const file = await fileOf(SLICE * 2 + 100);
      expect((await init(emulatorWith({ sliceSizes: [1024 * KiB] }), file)).code).to.equal(-284);
      const emulator = emulatorWith();
      expect((await init(emulator, file, { uploadparts: '[{' })).code).to.equal(-5965);
      const gap = [file.parts[0], { ...file.parts[1]!, offset: SLICE + 64 }, file.parts[2]];
      expect((await init(emulator, file, { uploadparts: JSON.stringify(gap) })).code).to.equal(-5999);
      expect((await init(emulator, file, { uploadparts: JSON.stringify(file.parts.slice(0, 2)) })).code).to.equal(-5999);
      const lastWrong = [...file.parts.slice(0, 2), { ...file.parts[2]!, datasha: file.parts[1]!.datasha }];
      expect((await init(emulator, file, { uploadparts: JSON.stringify(lastWrong) })).code).to.equal(-4016);
      expect((await init(emulator, file, { sha: file.sha.toUpperCase() })).code).to.equal(-5999);
      expect((await init(emulator, file)).code).to.equal(0);
    });

    it('answers -4019 for the same sha unfinished, -4020 for another, -177 for an existing file, and a rapid hit', async () => {
      const emulator = emulatorWith();
      const file = await fileOf(SLICE + 5);
      const created = await init(emulator, file);
      expect(created.data).to.deep.include({ slice_size: SLICE, offset: 0 });
      expect((await init(emulator, file)).code).to.equal(-4019);
      expect((await init(emulator, await fileOf(SLICE + 5, 2))).code).to.equal(-4020);

      await emulator.putObject('dir/b.bin', new Uint8Array([1]));
      const elsewhere = async (extra: Record<string, string> = {}) =>
        call(emulator, { op: 'upload_slice_init', filesize: String(SLICE + 5), slice_size: String(SLICE), sha: file.sha, ...extra }, { path: 'dir/b.bin' });
      expect((await elsewhere()).code).to.equal(-177);

      await emulator.putObject('copies/original.bin', file.bytes);
      const rapid = await elsewhere({ insertOnly: '0' });
      expect(rapid.code).to.equal(0);
      expect(rapid.data['resource_path']).to.equal(`/${APP_ID}/${BUCKET}/dir/b.bin`);
      expect(rapid.data['session']).to.equal(undefined);
      expect(emulator.storedBytes('dir/b.bin')).to.deep.equal(file.bytes);
    });
  });

  describe('data, list and finish', () => {
    it('verifies every slice from the previous slice\'s claimed state and refuses a damaged one with -4016', async () => {
      const emulator = emulatorWith();
      const file = await fileOf(SLICE * 2 + 100);
      const session = (await init(emulator, file)).data['session'] as string;
      const data = (offset: number, content: Blob) => call(emulator, { op: 'upload_slice_data', session, offset: String(offset), filecontent: content });
      const damaged = new Uint8Array(SLICE);
      expect((await data(SLICE, new Blob([damaged]))).code).to.equal(-4016);
      expect((await data(SLICE, file.slice(SLICE))).data).to.deep.equal({ session, offset: SLICE });
      expect((await data(2 * SLICE, file.slice(2 * SLICE))).code).to.equal(0);
      expect((await data(SLICE + 64, file.slice(SLICE))).code).to.equal(-5999);
      expect((await data(0, new Blob([file.bytes.subarray(0, 100)]))).code).to.equal(-5999);
      const listed = await call(emulator, { op: 'upload_slice_list' });
      expect(listed.data).to.deep.include({ session, slice_size: SLICE, filesize: SLICE * 2 + 100, sha: file.sha });
      expect(listed.data['listparts']).to.deep.equal([{ offset: SLICE, datalen: SLICE }, { offset: 2 * SLICE, datalen: 100 }]);

      const finish = (extra: Record<string, string>) => call(emulator, { op: 'upload_slice_finish', session, filesize: String(SLICE * 2 + 100), ...extra });
      expect((await finish({ sha: file.sha })).code).to.equal(-5999);
      expect((await data(0, file.slice(0))).code).to.equal(0);
      expect((await finish({ sha: file.sha, filesize: '1' })).code).to.equal(-175);
      expect((await finish({})).code).to.equal(-29094);
      const done = await finish({ sha: file.sha });
      expect(done.code).to.equal(0);
      expect(Object.keys(done.data)).to.include.members(['access_url', 'resource_path', 'source_url', 'url']);
      expect(emulator.storedBytes('dir/a.bin')).to.deep.equal(file.bytes);
      expect((await data(0, file.slice(0))).status).to.equal(404);
    });

    it('keeps the last copy of a re-sent slice when no uploadparts were given, and checks the whole sha at finish', async () => {
      const emulator = emulatorWith();
      const file = await fileOf(SLICE + 10);
      const session = (await call(emulator, { op: 'upload_slice_init', filesize: String(SLICE + 10), slice_size: String(SLICE), sha: file.sha })).data['session'] as string;
      const data = (offset: number, content: Blob) => call(emulator, { op: 'upload_slice_data', session, offset: String(offset), filecontent: content });
      await data(0, new Blob([new Uint8Array(SLICE)]));
      await data(SLICE, file.slice(SLICE));
      const finish = () => call(emulator, { op: 'upload_slice_finish', session, filesize: String(SLICE + 10), sha: file.sha });
      expect((await finish()).code).to.equal(-4016);
      await data(0, file.slice(0));
      expect((await finish()).code).to.equal(0);
      expect(emulator.storedBytes('dir/a.bin')).to.deep.equal(file.bytes);
    });

    it('in serial mode refuses a slice ahead of the next one', async () => {
      const emulator = emulatorWith({ serialUpload: true });
      const file = await fileOf(SLICE * 2 + 1);
      const created = await init(emulator, file);
      expect(created.data['serial_upload']).to.equal(1);
      const session = created.data['session'] as string;
      const data = (offset: number) => call(emulator, { op: 'upload_slice_data', session, offset: String(offset), filecontent: file.slice(offset) });
      expect((await data(SLICE)).code).to.equal(-5999);
      expect((await data(0)).code).to.equal(0);
      expect((await data(0)).code).to.equal(0);
      expect((await data(SLICE)).code).to.equal(0);
    });

    it('forgets a session after its lifetime', async () => {
      const emulator = emulatorWith({ sessionTtlMs: 60_000 });
      await init(emulator, await fileOf(SLICE + 1));
      expect((await call(emulator, { op: 'upload_slice_list' })).code).to.equal(0);
      clock += 61_000;
      expect(await call(emulator, { op: 'upload_slice_list' }, { signature: await sign({ currentTime: T0 + 61, expiresAt: T0 + 600 }) })).to.deep.include({ code: -197, status: 404 });
      expect(emulator.pending()).to.deep.equal([]);
    });

    it('stores a single op=upload after checking its sha', async () => {
      const emulator = emulatorWith();
      const bytes = makeBytes(1000, 4);
      expect((await call(emulator, { op: 'upload', sha: '0'.repeat(40), filecontent: new Blob([bytes]) })).code).to.equal(-4016);
      const stored = await call(emulator, { op: 'upload', sha: await sha1(bytes), filecontent: new Blob([bytes]) });
      expect(stored.code).to.equal(0);
      expect(emulator.storedBytes('dir/a.bin')).to.deep.equal(bytes);
      expect((await call(emulator, { op: 'upload', filecontent: new Blob([new Uint8Array(3)]) })).code).to.equal(-177);
    });
  });
});
