import { expect } from '@open-wc/testing';
import { crc64, sha1 } from 'hash-wasm';
import { AliyunPdsEmulator } from '../../../src/emulators/aliyun-pds-emulator.js';
import { Sha1State } from '../../../src/emulators/sha1-state.js';
import { makeBytes } from '../../helpers/make-blob.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const ORIGIN = 'http://pds.test';
const BASE = '/emulator/aliyun-pds';

type Json = Record<string, any>;

describe('Aliyun PDS emulator', () => {
  let clock: number;
  let emulator: AliyunPdsEmulator;
  let token: string;

  beforeEach(() => {
    clock = 1_700_000_000_000;
    emulator = new AliyunPdsEmulator({ basePath: BASE, now: () => clock, minPartSize: 1 });
    token = emulator.issueToken().access_token;
  });

  async function api(operation: string, body: Json, bearer: string | null = token): Promise<{ status: number; json: Json; response: Response }> {
    const response = await emulator.handle(
      new Request(`${ORIGIN}${BASE}/v2/file/${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) },
        body: JSON.stringify(body),
      }),
    );
    const text = await response.clone().text();
    return { status: response.status, json: text ? (JSON.parse(text) as Json) : {}, response };
  }

  async function put(url: string, bytes: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<{ status: number; text: string; etag: string | null }> {
    const response = await emulator.handle(new Request(url, { method: 'PUT', body: bytes, headers }));
    return { status: response.status, text: await response.text(), etag: response.headers.get('etag') };
  }

  async function create(extra: Json = {}, parts = 3): Promise<Json> {
    const { status, json } = await api('create', {
      drive_id: '1',
      parent_file_id: 'root',
      name: 'a.bin',
      type: 'file',
      part_info_list: Array.from({ length: parts }, (_, i) => ({ part_number: i + 1 })),
      ...extra,
    });
    expect(status, JSON.stringify(json)).to.equal(200);
    return json;
  }

  const urlOf = (created: Json, n: number) => (created['part_info_list'] as Json[]).find((p) => p['part_number'] === n)?.['upload_url'] as string;
  const target = (created: Json) => ({ drive_id: '1', file_id: created['file_id'], upload_id: created['upload_id'] });
  const codeOf = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

  describe('SHA-1 with a settable state', () => {
    const bytes = makeBytes(2_621_440);

    it('reproduces the note\'s parallel_sha1_ctx and content_hash vectors', () => {
      const state = new Sha1State().update(bytes.subarray(0, MiB));
      expect(state.words()).to.deep.equal([3116039047, 1169307938, 1354722620, 3191170535, 2521345260]);
      const part3 = new Sha1State([3116039047, 1169307938, 1354722620, 3191170535, 2521345260], MiB).update(bytes.subarray(MiB, 2 * MiB));
      expect(part3.words()).to.deep.equal([2898382252, 539930527, 571304905, 3034150261, 1442714383]);
      const last = new Sha1State([2898382252, 539930527, 571304905, 3034150261, 1442714383], 2 * MiB).update(bytes.subarray(2 * MiB));
      expect(last.digestHex()).to.equal('43C3E7DEC6C828BA9641ED7E2D5AB64BD7ABD81D');
    });

    it('agrees with hash-wasm across odd chunk boundaries and lengths', async () => {
      for (const length of [0, 1, 55, 56, 63, 64, 65, 1000]) {
        const data = makeBytes(length, length + 3);
        const state = new Sha1State();
        for (let i = 0; i < length; i += 7) state.update(data.subarray(i, i + 7));
        expect(state.digestHex(), `length ${length}`).to.equal((await sha1(data)).toUpperCase());
      }
    });

    it('refuses a state inside a block', () => {
      expect(() => new Sha1State(new Sha1State().words(), 100)).to.throw(RangeError);
      expect(() => new Sha1State().update(new Uint8Array(3)).words()).to.throw(RangeError);
    });
  });

  describe('auth', () => {
    it('refuses a missing or unknown token with 401 AccessTokenInvalid, and an expired one with AccessTokenExpired', async () => {
      expect((await api('create', {}, null)).json['code']).to.equal('AccessTokenInvalid');
      expect((await api('create', {}, 'forged')).status).to.equal(401);
      clock += 3 * 3600_000;
      const expired = await api('create', {});
      expect(expired.status).to.equal(401);
      expect(expired.json['code']).to.equal('AccessTokenExpired');
      expect(expired.response.headers.get('x-ca-request-id')).to.match(/^[0-9A-F]{32}$/);
    });

    it('treats a token as expired when an expire fault matches the operation', async () => {
      emulator.faults.expireUrls({ operation: 'CreateFile' });
      expect((await api('create', {})).json['code']).to.equal('AccessTokenExpired');
      expect((await create())['upload_id']).to.be.a('string');
    });
  });

  describe('create', () => {
    it('checks required fields, name length and slashes, part numbering and hash formats', async () => {
      const base = { drive_id: '1', parent_file_id: 'root', name: 'a.bin', type: 'file' };
      const cases: Array<[Json, string]> = [
        [{ ...base, name: undefined }, 'InvalidParameterMissing'],
        [{ ...base, parent_file_id: undefined }, 'InvalidParameterMissing'],
        [{ ...base, drive_id: '9' }, 'NotFound.Drive'],
        [{ ...base, name: 'x'.repeat(1025) }, 'InvalidParameterOutOfRange'],
        [{ ...base, name: 'a/b' }, 'InvalidParameter'],
        [{ ...base, part_info_list: [{ part_number: 2 }] }, 'InvalidParameter'],
        [{ ...base, part_info_list: [{ part_number: 1 }, { part_number: 1 }] }, 'InvalidParameter'],
        [{ ...base, part_info_list: Array.from({ length: 10_001 }, (_, i) => ({ part_number: i + 1 })) }, 'InvalidParameterOutOfRange'],
        [{ ...base, size: 1, content_hash: 'ABC', content_hash_name: 'sha1' }, 'InvalidParameter'],
        [{ ...base, size: 1, content_hash: 'A'.repeat(40) }, 'InvalidParameter'],
        [{ ...base, pre_hash: 'A'.repeat(40) }, 'InvalidParameterMissing'],
        [{ ...base, check_name_mode: 'overwrite' }, 'InvalidParameter'],
      ];
      for (const [body, code] of cases) expect((await api('create', body)).json['code'], JSON.stringify(body).slice(0, 80)).to.equal(code);
    });

    it('answers PreHashMatched for a known first KiB and size, and rapid_upload for a known SHA-1', async () => {
      const bytes = makeBytes(300 * KiB, 5);
      const created = await create({ size: bytes.byteLength }, 1);
      expect((await put(urlOf(created, 1), bytes)).status).to.equal(200);
      expect((await api('complete', target(created))).status).to.equal(200);

      const preHash = (await sha1(bytes.subarray(0, 1024))).toUpperCase();
      const matched = await api('create', { drive_id: '1', parent_file_id: 'root', name: 'b.bin', type: 'file', size: bytes.byteLength, pre_hash: preHash });
      expect([matched.status, matched.json['code']]).to.deep.equal([409, 'PreHashMatched']);
      const otherSize = await create({ size: bytes.byteLength + 1, pre_hash: preHash });
      expect(otherSize['upload_id']).to.be.a('string');

      const rapid = await create({ name: 'c.bin', size: bytes.byteLength, content_hash: (await sha1(bytes)).toUpperCase(), content_hash_name: 'sha1' });
      expect(rapid['rapid_upload']).to.equal(true);
      expect(rapid['upload_id']).to.equal(undefined);
      expect(emulator.storedBytes(rapid['file_id'])).to.deep.equal(bytes);
      const after = await api('get_upload_url', { drive_id: '1', file_id: rapid['file_id'], upload_id: 'X', part_info_list: [{ part_number: 1 }] });
      expect(after.json['code']).to.equal('AlreadyExist.File');
    });

    it('refuses or renames a taken name as check_name_mode says', async () => {
      await create();
      const refused = await create({ check_name_mode: 'refuse' });
      expect(refused['exist']).to.equal(true);
      expect(refused['upload_id']).to.equal(undefined);
      expect((await create({ check_name_mode: 'auto_rename' }))['file_name']).to.equal('a(1).bin');
      expect((await create({ check_name_mode: 'ignore' }))['file_name']).to.equal('a.bin');
    });

    it('refuses parallel upload on a domain without it', async () => {
      emulator.setParallelUpload(false);
      const refused = await api('create', { drive_id: '1', parent_file_id: 'root', name: 'a.bin', type: 'file', parallel_upload: true });
      expect([refused.status, refused.json['code']]).to.deep.equal([400, 'InvalidParameterNotSupported.ParallelUpload']);
    });
  });

  describe('part URLs', () => {
    it('verify their signature (Content-Type included), refuse an Authorization header, and expire', async () => {
      emulator = new AliyunPdsEmulator({ basePath: BASE, now: () => clock, partContentType: 'application/octet-stream', minPartSize: 1 });
      token = emulator.issueToken().access_token;
      const created = await create({}, 1);
      const url = urlOf(created, 1);
      expect(url).to.match(/\?Expires=\d+&OSSAccessKeyId=[^&]+&Signature=[^&]+&partNumber=1&uploadId=/);
      expect(codeOf((await put(url, makeBytes(10))).text)).to.equal('SignatureDoesNotMatch');
      expect(codeOf((await put(url.replace('partNumber=1', 'partNumber=2'), makeBytes(10), { 'content-type': 'application/octet-stream' })).text)).to.equal(
        'SignatureDoesNotMatch',
      );
      const withAuth = await put(url, makeBytes(10), { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` });
      expect(codeOf(withAuth.text)).to.equal('InvalidArgument');
      clock += 15 * 60_000;
      const expired = await put(url, makeBytes(10), { 'content-type': 'application/octet-stream' });
      expect(expired.status).to.equal(403);
      expect(codeOf(expired.text)).to.equal('AccessDenied');
      expect(expired.text).to.contain('expired');
      const renewed = await api('get_upload_url', { ...target(created), part_info_list: [{ part_number: 1 }] });
      const stored = await put(urlOf(renewed.json, 1), makeBytes(10), { 'content-type': 'application/octet-stream' });
      expect(stored.status).to.equal(200);
      expect(stored.etag).to.match(/^"[0-9A-F]{32}"$/);
    });
  });

  describe('serial mode', () => {
    it('takes parts strictly in order, refusing early parts with PartNotSequential and repeats with PartAlreadyExist', async () => {
      const created = await create();
      const early = await put(urlOf(created, 2), makeBytes(10));
      expect([early.status, codeOf(early.text)]).to.deep.equal([400, 'PartNotSequential']);
      expect((await put(urlOf(created, 1), makeBytes(10))).status).to.equal(200);
      const again = await put(urlOf(created, 1), makeBytes(10));
      expect([again.status, codeOf(again.text)]).to.deep.equal([409, 'PartAlreadyExist']);
      expect((await put(urlOf(created, 3), makeBytes(10))).status).to.equal(400);
      expect(emulator.stats.refusals.map((r) => [r.partNumber, r.code])).to.deep.equal([
        [2, 'PartNotSequential'],
        [1, 'PartAlreadyExist'],
        [3, 'PartNotSequential'],
      ]);
    });

    it('completes only with every part, verifies crc64_hash and answers content_hash, then forgets the upload id', async () => {
      const bytes = makeBytes(250 * KiB, 9);
      const created = await create({ size: bytes.byteLength }, 3);
      for (const n of [1, 2]) await put(urlOf(created, n), bytes.subarray((n - 1) * 100 * KiB, n * 100 * KiB));
      expect((await api('complete', target(created))).json['code']).to.equal('InvalidParameter.PartNotComplete');
      await put(urlOf(created, 3), bytes.subarray(200 * KiB));
      const crc = BigInt(`0x${await crc64(bytes)}`).toString();
      const wrong = await api('complete', { ...target(created), crc64_hash: '1' });
      expect([wrong.status, wrong.json['code']]).to.deep.equal([400, 'InvalidParameter.Crc64Hash']);
      const done = await api('complete', { ...target(created), crc64_hash: crc });
      expect(done.json['status']).to.equal('available');
      expect(await done.response.text()).to.contain(`"crc64_hash":${crc},`);
      expect(done.json['content_hash']).to.equal((await sha1(bytes)).toUpperCase());
      expect(emulator.storedBytes(created['file_id'])).to.deep.equal(bytes);
      expect((await api('complete', target(created))).json['code']).to.equal('NotFound.UploadId');
    });

    it('lets a complete whose answer is lost take effect, and GetFile tells', async () => {
      const bytes = makeBytes(5000, 6);
      const created = await create({ size: bytes.byteLength }, 1);
      await put(urlOf(created, 1), bytes);
      emulator.faults.dropConnection({ operation: 'CompleteFile' }, { afterBytes: 10_000 });
      const lost = await emulator.handle(
        new Request(`${ORIGIN}${BASE}/v2/file/complete`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(target(created)) }),
      );
      expect(lost.type).to.equal('error');
      expect((await api('complete', target(created))).json['code']).to.equal('NotFound.UploadId');
      const file = await api('get', { drive_id: '1', file_id: created['file_id'] });
      expect(file.json).to.deep.include({ status: 'available', size: 5000 });
      expect(await file.response.text()).to.contain(`"crc64_hash":${BigInt(`0x${await crc64(bytes)}`).toString()},`);
      expect((await api('get', { drive_id: '1', file_id: 'nope' })).json['code']).to.equal('NotFound.File');
    });

    // Seed 000 (CompleteFile), its answer: `"crc64_hash": 3574582125365864400,` — a bare number — and, in
    // `"streams_info": { "key": { "crc64_hash": "", …`, a second, empty one.
    it('answers crc64_hash as a bare JSON number with an empty one in streams_info, as seed 000 does; a string on request', async () => {
      const bytes = makeBytes(4096, 2);
      const crc = BigInt(`0x${await crc64(bytes)}`).toString();
      const created = await create({}, 1);
      await put(urlOf(created, 1), bytes);
      const text = await (await api('complete', target(created))).response.text();
      expect(text).to.contain(`"crc64_hash":${crc},`);
      expect(text).to.contain('"streams_info":{"key":{"crc64_hash":""');
      emulator = new AliyunPdsEmulator({ basePath: BASE, crc64Encoding: 'string', minPartSize: 1 });
      token = emulator.issueToken().access_token;
      const again = await create({}, 1);
      await put(urlOf(again, 1), bytes);
      expect((await api('complete', target(again))).json['crc64_hash']).to.equal(crc);
    });

    it('refuses non-last parts below the minimum at complete', async () => {
      emulator = new AliyunPdsEmulator({ basePath: BASE });
      token = emulator.issueToken().access_token;
      const created = await create({}, 2);
      await put(urlOf(created, 1), makeBytes(1000));
      await put(urlOf(created, 2), makeBytes(1000));
      expect((await api('complete', target(created))).json['code']).to.equal('InvalidParameterOutOfRange.PartSize');
    });
  });

  describe('parallel mode', () => {
    const bytes = makeBytes(2_621_440);
    const ctx2 = { h: [3116039047, 1169307938, 1354722620, 3191170535, 2521345260], part_offset: MiB };
    const ctx3 = { h: [2898382252, 539930527, 571304905, 3034150261, 1442714383], part_offset: 2 * MiB };

    it('takes parts in any order once each has its context, and checks the chain and content_hash', async () => {
      const created = await create({
        parallel_upload: true,
        size: bytes.byteLength,
        part_info_list: [{ part_number: 1, parallel_sha1_ctx: { h: [], part_offset: 0 } }, { part_number: 2 }, { part_number: 3 }],
      });
      const noContext = await put(urlOf(created, 3), bytes.subarray(2 * MiB));
      expect(codeOf(noContext.text)).to.equal('InvalidArgument');
      const missing = await api('get_upload_url', { ...target(created), part_info_list: [{ part_number: 3 }] });
      expect(missing.json['code']).to.equal('InvalidParameterMissing');
      const notAligned = await api('get_upload_url', { ...target(created), part_info_list: [{ part_number: 3, parallel_sha1_ctx: { ...ctx3, part_offset: 100 } }] });
      expect(notAligned.json['code']).to.equal('InvalidParameter.ParallelSha1Ctx');
      const urls = await api('get_upload_url', { ...target(created), part_info_list: [{ part_number: 3, parallel_sha1_ctx: ctx3 }, { part_number: 2, parallel_sha1_ctx: ctx2 }] });
      expect(urls.status).to.equal(200);
      expect((await put(urlOf(urls.json, 3), bytes.subarray(2 * MiB))).status).to.equal(200);
      expect((await put(urlOf(created, 1), bytes.subarray(0, MiB))).status).to.equal(200);
      expect((await put(urlOf(urls.json, 2), bytes.subarray(MiB, 2 * MiB))).status).to.equal(200);
      const done = await api('complete', target(created));
      expect(done.json['content_hash']).to.equal('43C3E7DEC6C828BA9641ED7E2D5AB64BD7ABD81D');
      expect(emulator.storedBytes(created['file_id'])).to.deep.equal(bytes);
    });

    it('refuses a part whose bytes do not continue into the next context', async () => {
      const created = await create({ parallel_upload: true, part_info_list: [{ part_number: 1 }, { part_number: 2, parallel_sha1_ctx: ctx2 }, { part_number: 3, parallel_sha1_ctx: ctx3 }] });
      const wrong = await put(urlOf(created, 1), bytes.subarray(1, MiB + 1));
      expect([wrong.status, codeOf(wrong.text)]).to.deep.equal([400, 'InvalidParameter.ParallelSha1Ctx']);
      expect(emulator.pending()[0]?.partNumbers).to.deep.equal([]);
    });
  });

  it('pages list_uploaded_parts by part_number_marker, at most 100 per page', async () => {
    const created = await create({}, 105);
    for (let n = 1; n <= 105; n++) await put(urlOf(created, n), makeBytes(1, n));
    const first = await api('list_uploaded_parts', { ...target(created), limit: 1000 });
    expect(first.json['uploaded_parts']).to.have.length(100);
    expect(first.json['next_part_number_marker']).to.equal('100');
    const second = await api('list_uploaded_parts', { ...target(created), limit: 1000, part_number_marker: 100 });
    expect((second.json['uploaded_parts'] as Json[]).map((p) => p['part_number'])).to.deep.equal([101, 102, 103, 104, 105]);
    expect(second.json['next_part_number_marker']).to.equal('');
    expect((await api('list_uploaded_parts', { ...target(created), limit: 0 })).json['code']).to.equal('InvalidParameterOutOfRange');
  });

  it('forgets unfinished uploads after the session lifetime', async () => {
    const created = await create();
    clock += 10 * 24 * 3600_000 + 1;
    token = emulator.issueToken().access_token;
    expect((await api('list_uploaded_parts', target(created))).json['code']).to.equal('NotFound.UploadId');
    expect(codeOf((await put(urlOf(created, 1), makeBytes(1))).text)).to.equal('AccessDenied');
  });

  it('answers injected failures in PDS\'s shapes: JSON, gateway headers, OSS XML', async () => {
    emulator.faults.failRequest({ operation: 'CreateFile' }, { status: 503, retryAfter: '2' });
    emulator.faults.failRequest({ operation: 'CreateFile' }, { status: 504 });
    const busy = await api('create', {});
    expect([busy.status, busy.json['code'], busy.response.headers.get('retry-after')]).to.deep.equal([503, 'ServiceUnavailable', '2']);
    const gateway = await api('create', {});
    expect([gateway.status, gateway.response.headers.get('x-ca-error-code')]).to.deep.equal([504, 'D504TO']);
    const created = await create();
    emulator.faults.failPart(1, { status: 500 });
    expect(codeOf((await put(urlOf(created, 1), makeBytes(1))).text)).to.equal('InternalError');
  });
});
