import { expect } from '@open-wc/testing';
import { md5 } from 'hash-wasm';
import { MetaStudioEmulator } from '../../../src/emulators/huawei-metastudio-emulator.js';
import type { MetaStudioEmulatorOptions } from '../../../src/emulators/huawei-metastudio-emulator.js';
import { createMetaStudioHandler } from '../../../src/server/huawei-metastudio-handler.js';
import type { MetaStudioHandlerOptions } from '../../../src/server/huawei-metastudio-handler.js';
import { makeBytes } from '../../helpers/make-blob.js';

const ORIGIN = 'https://emulator.test';
const PROJECT = 'p0123456789';
const KEYS = { accessKey: 'AKUNIT', secretKey: 'sk-unit' };
const TOKEN = 'MIIunit';
const API = `${ORIGIN}/ms/v1/${PROJECT}`;

async function md5Base64(bytes: Uint8Array): Promise<string> {
  const hex = await md5(bytes);
  return btoa(String.fromCharCode(...hex.match(/../g)!.map((h) => parseInt(h, 16))));
}

function emulatorWith(options: Partial<MetaStudioEmulatorOptions> = {}) {
  return new MetaStudioEmulator({ basePath: '/ms', projectId: PROJECT, credentials: KEYS, tokens: [TOKEN], origin: ORIGIN, ...options });
}

function api(emulator: MetaStudioEmulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return emulator.handle(
    new Request(`${API}${path}`, {
      method,
      headers: { 'X-Auth-Token': TOKEN, ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function created(emulator: MetaStudioEmulator, bytes: Uint8Array, overrides: Record<string, unknown> = {}, assetType = 'IMAGE') {
  const assetId = emulator.createAsset('unit', assetType);
  const response = await api(emulator, 'POST', '/files', {
    file_name: 'unit.png',
    file_md5: await md5Base64(bytes),
    file_size: bytes.byteLength,
    file_type: 'png',
    asset_id: assetId,
    asset_file_category: 'MAIN',
    ...overrides,
  });
  expect(response.status).to.equal(200);
  const json = (await response.json()) as { file_id: string; upload_url: string };
  return { assetId, fileId: json.file_id, uploadUrl: json.upload_url };
}

function put(emulator: MetaStudioEmulator, url: string, body: Uint8Array, headers: Record<string, string>) {
  return emulator.handle(new Request(url, { method: 'PUT', headers, body: body as Uint8Array<ArrayBuffer> }));
}

async function errorOf(response: Response): Promise<[number, string]> {
  const text = await response.text();
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? (JSON.parse(text) as { error_code?: string; error?: { code: string } }).error_code ??
    (JSON.parse(text) as { error: { code: string } }).error.code;
  return [response.status, code];
}

describe('MetaStudio emulator', () => {
  const bytes = makeBytes(5000, 3);

  it('answers every call with X-Request-Id and refuses calls without a token or a valid signature (MSS.00000001)', async () => {
    const emulator = emulatorWith();
    const unauthenticated = await emulator.handle(new Request(`${API}/digital-assets`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }));
    expect(unauthenticated.headers.get('X-Request-Id')).to.match(/^[0-9a-f]{32}$/);
    expect(await errorOf(unauthenticated)).to.deep.equal([401, 'MSS.00000001']);
    expect(await errorOf(await api(emulator, 'POST', '/digital-assets', {}, { 'X-Auth-Token': 'nope' }))).to.deep.equal([401, 'MSS.00000001']);
    const badSignature = await emulator.handle(new Request(`${API}/digital-assets`, {
      method: 'POST',
      body: '{}',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `SDK-HMAC-SHA256 Access=AKUNIT, SignedHeaders=host;x-sdk-date, Signature=${'0'.repeat(64)}`,
        'X-Sdk-Date': '20240101T000000Z',
      },
    }));
    expect(await errorOf(badSignature)).to.deep.equal([401, 'MSS.00000001']);
    const expired = emulator.issueToken(-1);
    expect(await errorOf(await api(emulator, 'POST', '/digital-assets', {}, { 'X-Auth-Token': expired }))).to.deep.equal([401, 'APIGW.0307']);
  });

  // Seed 003 (CreateFile): "资产类型为IMAGE时,包含MAIN", "资产类型为VIDEO时,包含MAIN、COVER", and
  // "一个资产中MAIN文件只有一个,且必须有一个" (one MAIN per asset, and there must be one).
  it('holds an IMAGE asset to MAIN, a VIDEO asset to MAIN and COVER, and every asset to its MAIN first', async () => {
    const emulator = emulatorWith();
    const file = { file_name: 'a.png', file_md5: await md5Base64(bytes), file_size: 5000, file_type: 'png' };
    const image = emulator.createAsset('i', 'IMAGE');
    expect(await errorOf(await api(emulator, 'POST', '/files', { ...file, asset_id: image, asset_file_category: 'COVER' }))).to.deep.equal([400, 'MSS.00000003']);
    const video = emulator.createAsset('v', 'VIDEO');
    expect(await errorOf(await api(emulator, 'POST', '/files', { ...file, asset_id: video, asset_file_category: 'COVER' })), 'no MAIN yet').to.deep.equal([400, 'MSS.00000003']);
    expect((await api(emulator, 'POST', '/files', { ...file, asset_id: video, asset_file_category: 'MAIN' })).status).to.equal(200);
    expect((await api(emulator, 'POST', '/files', { ...file, asset_id: video, asset_file_category: 'COVER' })).status).to.equal(200);
  });

  it('checks the project, the JSON body and CreateFile\'s rules', async () => {
    const emulator = emulatorWith();
    const other = await emulator.handle(new Request(`${ORIGIN}/ms/v1/otherproject/files`, { method: 'POST', headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' }, body: '{}' }));
    expect(await errorOf(other)).to.deep.equal([400, 'MSS.00010009']);
    expect(await errorOf(await api(emulator, 'POST', '/files', 'not json'))).to.deep.equal([400, 'MSS.10000002']);
    const assetId = emulator.createAsset('a', 'VIDEO');
    const good = { file_name: 'a.png', file_md5: await md5Base64(bytes), file_size: 5000, file_type: 'png', asset_id: assetId, asset_file_category: 'MAIN' };
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ file_name: '' }, 'MSS.00000003'],
      [{ file_name: 'x'.repeat(257) }, 'MSS.00000003'],
      [{ file_md5: 'b4cfbdaba36a33bc50ea67c639db1d13' }, 'MSS.00000003'],
      [{ file_md5: 'tM+9q6NqM7xQ6mfGOdsdEw=' }, 'MSS.00000003'],
      [{ file_size: 0 }, 'MSS.00000003'],
      [{ file_size: 5 * 1024 ** 3 + 1 }, 'MSS.00000003'],
      [{ file_name: 'noext', file_type: '' }, 'MSS.10001003'],
      [{ file_type: 'p'.repeat(65) }, 'MSS.00000003'],
      [{ asset_id: 'f'.repeat(32) }, 'MSS.10001001'],
      [{ asset_file_category: 'PAGE' }, 'MSS.00000003'],
      [{ asset_file_category: 'COVER', file_size: 5_242_881 }, 'MSS.10001007'],
    ];
    for (const [change, code] of refusals) {
      expect(await errorOf(await api(emulator, 'POST', '/files', { ...good, ...change })), JSON.stringify(change)).to.deep.equal([400, code]);
    }
    expect((await api(emulator, 'POST', '/files', { ...good, file_type: undefined })).status).to.equal(200);
    expect(await errorOf(await api(emulator, 'POST', '/files', good))).to.deep.equal([400, 'MSS.10001008']);
    expect((await api(emulator, 'POST', '/files', { ...good, asset_file_category: 'COVER' })).status).to.equal(200);
    expect(await errorOf(await api(emulator, 'POST', '/files', { ...good, asset_file_category: 'OTHER' })), 'VIDEO takes MAIN and COVER').to.deep.equal([400, 'MSS.00000003']);
    expect(await errorOf(await api(emulator, 'POST', '/files', { ...good, asset_file_category: 'COVER' }))).to.deep.equal([400, 'MSS.10001009']);
    expect(await errorOf(await api(emulator, 'POST', '/digital-assets', { asset_name: 'v', asset_type: 'VOICE_MODEL' }))).to.deep.equal([400, 'MSS.00000003']);
  });

  it('verifies the upload URL: signature over Content-MD5 and Content-Type, expiry, MD5 of the body, its size', async () => {
    let now = Date.now();
    const emulator = emulatorWith({ now: () => now });
    const { fileId, uploadUrl } = await created(emulator, bytes);
    expect(uploadUrl).to.match(/^https:\/\/emulator\.test\/ms\/obs\/[^?]+\.png\?AccessKeyId=[^&]+&Expires=\d+&Signature=/);
    const md5Header = await md5Base64(bytes);
    expect(await errorOf(await put(emulator, uploadUrl, bytes, { 'Content-Type': 'image/png' }))).to.deep.equal([400, 'InvalidRequest']);
    expect(await errorOf(await put(emulator, uploadUrl, bytes, { 'Content-MD5': md5Header, 'Content-Type': 'application/octet-stream' }))).to.deep.equal([403, 'SignatureDoesNotMatch']);
    const otherMd5 = await md5Base64(makeBytes(10, 1));
    expect(await errorOf(await put(emulator, uploadUrl, bytes, { 'Content-MD5': otherMd5, 'Content-Type': 'image/png' }))).to.deep.equal([403, 'SignatureDoesNotMatch']);
    const damaged = bytes.slice();
    damaged[7] ^= 1;
    expect(await errorOf(await put(emulator, uploadUrl, damaged, { 'Content-MD5': md5Header, 'Content-Type': 'image/png' }))).to.deep.equal([400, 'BadDigest']);
    expect(emulator.storedBytes(fileId)).to.equal(undefined);
    const stored = await put(emulator, uploadUrl, bytes, { 'Content-MD5': md5Header, 'Content-Type': 'image/png' });
    expect(stored.status).to.equal(200);
    expect(stored.headers.get('x-obs-request-id')).to.match(/^[0-9a-f]{32}$/);
    expect(emulator.storedBytes(fileId)).to.deep.equal(bytes);
    now += 24 * 60 * 60 * 1000;
    const late = await put(emulator, uploadUrl, bytes, { 'Content-MD5': md5Header, 'Content-Type': 'image/png' });
    expect(await late.text()).to.contain('Request has expired');
  });

  it('refuses a body shorter than file_size at the PUT by default, or at confirmation when configured', async () => {
    const short = bytes.subarray(0, 4000);
    for (const [mode, putStatus, confirmStatus] of [['reject-put', 400, 400], ['reject-confirm', 200, 400], ['accept', 200, 200]] as const) {
      const emulator = emulatorWith({ sizeMismatch: mode });
      const { fileId, uploadUrl } = await created(emulator, short, { file_size: 5000 });
      const response = await put(emulator, uploadUrl, short, { 'Content-MD5': await md5Base64(short), 'Content-Type': 'image/png' });
      expect(response.status, mode).to.equal(putStatus);
      expect((await api(emulator, 'POST', `/files/${fileId}/complete`, { state: 'CREATED' })).status, mode).to.equal(confirmStatus);
    }
  });

  it('runs the file state machine: confirm needs the object, repeats are idempotent, terminal states stay', async () => {
    const emulator = emulatorWith({ stateAfterConfirm: 'CREATED' });
    const { assetId, fileId, uploadUrl } = await created(emulator, bytes);
    expect(await errorOf(await api(emulator, 'POST', `/files/${fileId}/complete`, { state: 'DONE' }))).to.deep.equal([400, 'MSS.00000003']);
    expect(await errorOf(await api(emulator, 'POST', `/files/${fileId}/complete`, { state: 'CREATED' }))).to.deep.equal([400, 'MSS.10001004']);
    await put(emulator, uploadUrl, bytes, { 'Content-MD5': await md5Base64(bytes), 'Content-Type': 'image/png' });
    expect((await api(emulator, 'POST', `/files/${fileId}/complete`, { state: 'CREATED' })).status).to.equal(200);
    expect((await api(emulator, 'POST', `/files/${fileId}/complete`, { state: 'CREATED' })).status).to.equal(200);
    expect(await errorOf(await api(emulator, 'POST', `/files/${fileId}/complete`, { state: 'CANCELLED' }))).to.deep.equal([400, 'MSS.00000003']);
    const asset = (await (await api(emulator, 'GET', `/digital-assets/${assetId}`)).json()) as { files: Array<{ file_id: string; state: string }> };
    expect(asset.files.map((f) => [f.file_id, f.state])).to.deep.equal([[fileId, 'CREATED']]);
    expect((await api(emulator, 'DELETE', `/files/${fileId}`)).status).to.equal(200);
    expect(await errorOf(await api(emulator, 'DELETE', `/files/${fileId}`))).to.deep.equal([400, 'MSS.10001004']);
    expect(await errorOf(await api(emulator, 'GET', '/digital-assets/unknown'))).to.deep.equal([400, 'MSS.10001001']);

    const other = await created(emulator, bytes);
    expect((await api(emulator, 'POST', `/files/${other.fileId}/complete`, { state: 'CANCELLED' })).status).to.equal(200);
    expect((await api(emulator, 'POST', `/files/${other.fileId}/complete`, { state: 'CANCELLED' })).status).to.equal(200);
    expect(emulator.fileRecord(other.fileId)?.state).to.equal('CANCELLED');
  });

  it('answers CORS on the upload URL only for allowed origins', async () => {
    // A page may not set Origin on a Request; a bare Headers object (as a server receives them) may hold it.
    const preflight = (emulator: MetaStudioEmulator, origin: string) =>
      emulator.handle({
        method: 'OPTIONS',
        url: `${ORIGIN}/ms/obs/metastudio-emulator/x.png`,
        headers: new Headers({ Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-md5,content-type' }),
      } as unknown as Request);
    const closed = await preflight(emulatorWith(), 'https://page.test');
    expect([closed.status, closed.headers.get('access-control-allow-origin')]).to.deep.equal([403, null]);
    const listed = emulatorWith({ obsAllowedOrigins: ['https://page.test'] });
    const allowed = await preflight(listed, 'https://page.test');
    expect([allowed.status, allowed.headers.get('access-control-allow-origin'), allowed.headers.get('access-control-allow-headers')])
      .to.deep.equal([200, 'https://page.test', 'content-md5,content-type']);
    expect((await preflight(listed, 'https://evil.test')).headers.get('access-control-allow-origin')).to.equal(null);
  });
});

describe('MetaStudio server handler', () => {
  const BASE = 'https://app.test/api/ms';

  function world(options: Partial<MetaStudioHandlerOptions> = {}) {
    const emulator = emulatorWith();
    const calls: Array<{ operation: string; status: number; requestId: string | null }> = [];
    const handler = createMetaStudioHandler({
      endpoint: `${ORIGIN}/ms`,
      projectId: PROJECT,
      auth: KEYS,
      basePath: '/api/ms',
      allowedUploadHosts: ['emulator.test'],
      fetch: async (input, init) => emulator.handle(new Request(input as string, init)),
      onCall: (call) => calls.push(call),
      ...options,
    });
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      handler(new Request(`${BASE}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: body === undefined ? null : body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
      }));
    return { emulator, handler, call, calls };
  }

  async function newFile(call: ReturnType<typeof world>['call'], emulator: MetaStudioEmulator) {
    const assetId = emulator.createAsset('h', 'IMAGE');
    const response = await call('POST', '/files', {
      file_name: 'h.png', file_md5: await md5Base64(makeBytes(100, 2)), file_size: 100, file_type: 'png', asset_id: assetId, asset_file_category: 'MAIN',
    });
    return (await response.json()) as { file_id: string; content_type: string; expires_at: number };
  }

  it('signs CreateFile with AK/SK, logs X-Request-Id, and keeps the upload URL to itself', async () => {
    const { emulator, call, calls } = world();
    const answer = await newFile(call, emulator);
    expect(Object.keys(answer).sort()).to.deep.equal(['asset_id', 'content_type', 'expires_at', 'file_id']);
    expect(answer.content_type).to.equal('image/png');
    expect(answer.expires_at).to.be.within(Date.now() + 86_000_000, Date.now() + 86_500_000);
    expect(calls).to.have.length(1);
    expect(calls[0]).to.deep.include({ operation: 'CreateFile', status: 200 });
    expect(calls[0]!.requestId).to.match(/^[0-9a-f]{32}$/);
  });

  it('proxies the PUT with the recorded headers only, and refuses a mismatch before sending a byte', async () => {
    const { emulator, call } = world({ allowedOrigins: '*' });
    const { file_id: fileId } = await newFile(call, emulator);
    const body = makeBytes(100, 2);
    const md5Header = await md5Base64(body);
    const wrongType = await call('PUT', `/files/${fileId}/content`, body, { 'Content-MD5': md5Header, 'Content-Type': 'image/jpeg' });
    expect(await errorOf(wrongType)).to.deep.equal([400, 'headers-mismatch']);
    const stored = await call('PUT', `/files/${fileId}/content`, body, { 'Content-MD5': md5Header, 'Content-Type': 'image/png' });
    expect(stored.status).to.equal(200);
    expect(stored.headers.get('access-control-expose-headers')).to.contain('X-Request-Id');
    expect(emulator.storedBytes(fileId)).to.deep.equal(body);
    expect((await call('POST', `/files/${fileId}/complete`, { state: 'CREATED' })).status).to.equal(200);
    expect(emulator.fileRecord(fileId)?.state).to.equal('UPLOADED');
  });

  it('validates input, knows only its own files, and asks authorize', async () => {
    const { emulator, call } = world({ authorize: (_request, action) => action.kind !== 'delete' });
    expect(await errorOf(await call('POST', '/files', { file_name: 'a.png', file_md5: 'x' }))).to.deep.equal([400, 'invalid-field']);
    expect(await errorOf(await call('POST', '/files', { file_name: 'a.png', file_md5: 'tM+9q6NqM7xQ6mfGOdsdEw==', file_size: 6 * 1024 ** 3, file_type: 'png', asset_id: 'a', asset_file_category: 'MAIN' })))
      .to.deep.equal([413, 'file-too-large']);
    expect(await errorOf(await call('POST', '/files/unknown/complete', { state: 'CREATED' }))).to.deep.equal([404, 'unknown-file']);
    expect(await errorOf(await call('GET', '/files/../secrets/upload-url'))).to.deep.equal([404, 'not-found']);
    const { file_id: fileId } = await newFile(call, emulator);
    expect(await errorOf(await call('DELETE', `/files/${fileId}`))).to.deep.equal([403, 'forbidden']);
    const url = (await (await call('GET', `/files/${fileId}/upload-url`)).json()) as { upload_url: string; headers: Record<string, string> };
    expect(url.upload_url).to.contain('/ms/obs/');
    expect(url.headers).to.deep.equal({ 'Content-MD5': await md5Base64(makeBytes(100, 2)), 'Content-Type': 'image/png' });
  });

  it('passes MetaStudio errors through in their own shape, and refuses direct upload when it is off', async () => {
    const { call } = world({ allowDirectUpload: false });
    const missing = await call('POST', '/files', { file_name: 'a.png', file_md5: 'tM+9q6NqM7xQ6mfGOdsdEw==', file_size: 10, file_type: 'png', asset_id: 'nosuchasset', asset_file_category: 'MAIN' });
    expect(missing.status).to.equal(400);
    const body = (await missing.json()) as { error_code: string; request_id: string };
    expect(body.error_code).to.equal('MSS.10001001');
    expect(body.request_id).to.equal(missing.headers.get('X-Request-Id'));
    const { emulator: e2, call: call2 } = world({ allowDirectUpload: false });
    const { file_id: fileId } = await newFile(call2, e2);
    expect(await errorOf(await call2('GET', `/files/${fileId}/upload-url`))).to.deep.equal([403, 'forbidden']);
  });

  it('sends and signs X-App-UserId, and refuses one with Chinese characters', async () => {
    const emulator = emulatorWith();
    const sent: Headers[] = [];
    const handler = createMetaStudioHandler({
      endpoint: `${ORIGIN}/ms`,
      projectId: PROJECT,
      auth: KEYS,
      appUserId: 'user-42',
      fetch: async (input, init) => {
        const request = new Request(input as string, init);
        sent.push(request.headers);
        return emulator.handle(request);
      },
    });
    const response = await handler(new Request(`${BASE.replace('/api/ms', '')}/assets`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ asset_name: 'n', asset_type: 'IMAGE' }),
    }));
    expect(response.status).to.equal(200);
    expect(sent[0]!.get('x-app-userid')).to.equal('user-42');
    expect(sent[0]!.get('authorization')).to.contain('SignedHeaders=content-type;host;x-app-userid;x-sdk-date,');
    expect(() => createMetaStudioHandler({ endpoint: ORIGIN, projectId: PROJECT, auth: KEYS, appUserId: '用户' })).to.throw(TypeError);
  });

  it('answers a 410 once the upload URL\'s 24 hours are over', async () => {
    let now = Date.now();
    const { emulator, call } = world({ now: () => now });
    const { file_id: fileId } = await newFile(call, emulator);
    now += 25 * 60 * 60 * 1000;
    expect(await errorOf(await call('PUT', `/files/${fileId}/content`, makeBytes(100, 2), { 'Content-MD5': 'x', 'Content-Type': 'image/png' }))).to.deep.equal([410, 'upload-expired']);
  });
});
