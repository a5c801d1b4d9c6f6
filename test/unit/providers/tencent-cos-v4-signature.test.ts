import { expect } from '@open-wc/testing';
import {
  COS_V4_DOC_FIELD_ORDER,
  cosV4Original,
  createCosV4SignatureHandler,
  hmacSha1,
  signCosV4,
} from '../../../src/server/tencent-cos-v4-handler.js';
import type { CosV4Action } from '../../../src/server/tencent-cos-v4-handler.js';
import { readCosV4Signature } from '../../../src/providers/tencent-cos-v4.js';

/** The note's worked example (§7). */
const EXAMPLE = {
  appId: '1250000000',
  bucket: 'examplebucket',
  secretId: 'AKIDEXAMPLE',
  currentTime: 1700000000,
  expiresAt: 1700003600,
  rand: 12345,
};
const EXAMPLE_SIGNATURE =
  'v3ZEgPomFwboZvBHJ/FPjgDfboRhPTEyNTAwMDAwMDAmYj1leGFtcGxlYnVja2V0Jms9QUtJREVYQU1QTEUmZT0xNzAwMDAzNjAwJnQ9MTcwMDAwMDAwMCZyPTEyMzQ1JmY9';

const NOW_MS = 1_700_000_000_000;

function handler(extra: Partial<Parameters<typeof createCosV4SignatureHandler>[0]> = {}) {
  return createCosV4SignatureHandler({
    appId: '1250000000',
    bucket: 'examplebucket',
    secretId: 'AKIDEXAMPLE',
    secretKey: 'SECRETEXAMPLE',
    basePath: '/api/cos',
    now: () => NOW_MS,
    ...extra,
  });
}

function post(body: unknown, path = '/api/cos/signature', method = 'POST'): Request {
  return new Request(`https://backend.example${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  });
}

describe('COS v4 signature', () => {
  it('reproduces the note\'s worked example in the doc\'s field order', async () => {
    const original = cosV4Original(EXAMPLE, COS_V4_DOC_FIELD_ORDER);
    expect(original).to.equal('a=1250000000&b=examplebucket&k=AKIDEXAMPLE&e=1700003600&t=1700000000&r=12345&f=');
    expect(await signCosV4('SECRETEXAMPLE', original)).to.equal(EXAMPLE_SIGNATURE);
  });

  it('signs in the SDK order (bucket last) by default, which gives another signature for the same fields', async () => {
    const original = cosV4Original(EXAMPLE);
    expect(original).to.equal('a=1250000000&k=AKIDEXAMPLE&e=1700003600&t=1700000000&r=12345&f=&b=examplebucket');
    expect(await signCosV4('SECRETEXAMPLE', original)).to.not.equal(EXAMPLE_SIGNATURE);
  });

  it('reads the HMAC, the signed text and the fields back out of a signature', async () => {
    const parts = readCosV4Signature(EXAMPLE_SIGNATURE)!;
    expect(parts.original).to.equal('a=1250000000&b=examplebucket&k=AKIDEXAMPLE&e=1700003600&t=1700000000&r=12345&f=');
    expect(parts.fields).to.deep.equal({ a: '1250000000', b: 'examplebucket', k: 'AKIDEXAMPLE', e: '1700003600', t: '1700000000', r: '12345', f: '' });
    expect([...parts.hmac]).to.deep.equal([...(await hmacSha1('SECRETEXAMPLE', parts.original))]);
    expect(readCosV4Signature('not base64!')).to.equal(undefined);
    expect(readCosV4Signature(btoa('short'))).to.equal(undefined);
  });
});

describe('createCosV4SignatureHandler', () => {
  it('answers a short-lived signature bound to the asked object, whose HMAC verifies with the SecretKey', async () => {
    const response = await handler({ expiresIn: 60 })(post({ path: 'uploads/a b.bin' }));
    expect(response.status).to.equal(200);
    expect(response.headers.get('access-control-allow-origin')).to.equal(null);
    const body = (await response.json()) as { signature: string; expiresAt: number };
    expect(body.expiresAt).to.equal(1_700_000_060);
    const parts = readCosV4Signature(body.signature)!;
    expect(parts.fields['a']).to.equal('1250000000');
    expect(parts.fields['b']).to.equal('examplebucket');
    expect(parts.fields['k']).to.equal('AKIDEXAMPLE');
    expect(parts.fields['t']).to.equal('1700000000');
    expect(parts.fields['e']).to.equal('1700000060');
    expect(parts.fields['f']).to.equal('/1250000000/examplebucket/uploads/a%20b.bin');
    expect(parts.fields['r']).to.match(/^\d{1,10}$/);
    expect(Object.keys(parts.fields)).to.deep.equal(['a', 'k', 'e', 't', 'r', 'f', 'b']);
    expect([...parts.hmac]).to.deep.equal([...(await hmacSha1('SECRETEXAMPLE', parts.original))]);
    expect(JSON.stringify(body)).to.not.contain('SECRETEXAMPLE');
  });

  it('signs nothing without a valid path, whatever bindToPath says', async () => {
    for (const options of [{}, { bindToPath: true }]) {
      const missing = await handler(options)(post({}));
      expect(missing.status).to.equal(400);
      expect(((await missing.json()) as { error: { code: string } }).error.code).to.equal('invalid-key');
    }
  });

  it('signs an empty f (the whole bucket) only when allowBucketWide is set, or bindToPath is false as it used to mean', async () => {
    for (const options of [{ allowBucketWide: true }, { bindToPath: false }]) {
      const response = await handler(options)(post({ path: 'uploads/a.bin' }));
      const { signature } = (await response.json()) as { signature: string };
      expect(readCosV4Signature(signature)!.fields['f']).to.equal('');
    }
    expect(() => handler({ allowBucketWide: true, bindToPath: true })).to.throw(TypeError);
  });

  it('refuses paths outside pathPrefix (a directory), traversal, malformed JSON and other content types', async () => {
    const h = handler({ pathPrefix: 'uploads' });
    expect((await h(post({ path: 'private/x' }))).status).to.equal(403);
    expect((await h(post({ path: 'uploads-admin/x' }))).status).to.equal(403);
    expect((await h(post({ path: 'uploads/x' }))).status).to.equal(200);
    expect((await h(post({ path: 'uploads/../x' }))).status).to.equal(400);
    expect((await h(post({ path: '/uploads/x' }))).status).to.equal(400);
    const bad = await h(new Request('https://backend.example/api/cos/signature', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }));
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal('invalid-json');
    const plain = await h(new Request('https://backend.example/api/cos/signature', { method: 'POST', body: '{"path":"uploads/x"}' }));
    expect(plain.status).to.equal(415);
  });

  it('asks authorize about the path, and keeps a principal to its own directory', async () => {
    const asked: CosV4Action[] = [];
    const h = handler({
      pathPrefix: 'uploads',
      authorize: (_request, action) => {
        asked.push(action);
        return action.path.endsWith('.exe') ? false : 'alice';
      },
    });
    expect((await h(post({ path: 'uploads/alice/a.bin' }))).status).to.equal(200);
    const foreign = await h(post({ path: 'uploads/bob/a.bin' }));
    expect([foreign.status, ((await foreign.json()) as { error: { code: string } }).error.code]).to.deep.equal([403, 'forbidden']);
    expect((await h(post({ path: 'uploads/alice2/a.bin' }))).status).to.equal(403);
    const refused = await h(post({ path: 'uploads/alice/a.exe' }));
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).to.deep.equal([403, 'forbidden']);
    expect(asked[0]).to.deep.equal({ kind: 'sign', path: 'uploads/alice/a.bin' });
  });

  it('answers preflights with exactly its method and headers, 405 for other methods and 404 for other paths', async () => {
    const preflight = (h: ReturnType<typeof handler>) =>
      h(
        new Request('https://backend.example/api/cos/signature', {
          method: 'OPTIONS',
          headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-anything' },
        }),
      );
    const closed = await preflight(handler());
    expect([closed.status, closed.headers.get('access-control-allow-origin')]).to.deep.equal([204, null]);
    // A page cannot set Origin itself; the origin list is checked in the Node security tests.
    const open = await preflight(handler({ allowedOrigins: '*', allowedHeaders: ['X-Session'] }));
    expect(open.headers.get('access-control-allow-origin')).to.equal('*');
    expect(open.headers.get('access-control-allow-methods')).to.equal('POST, OPTIONS');
    expect(open.headers.get('access-control-allow-headers')).to.equal('content-type, authorization, x-session');
    expect((await handler()(post(undefined, '/api/cos/signature', 'GET'))).status).to.equal(405);
    expect((await handler()(post({}, '/api/cos/other'))).status).to.equal(404);
  });

  it('refuses a lifetime over 90 days or a missing secret when built', () => {
    expect(() => handler({ expiresIn: 90 * 24 * 3600 + 1 })).to.throw(TypeError);
    expect(() => handler({ secretKey: '' })).to.throw(TypeError);
  });
});
