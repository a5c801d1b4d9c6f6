import { expect } from '@open-wc/testing';
import { canonicalUri, huaweiUrlEncode, sdkDate, signHuaweiRequest } from '../../../src/server/huawei-metastudio-signer.js';
import { obsQuerySignature, verifyHuaweiSignature } from '../../../src/emulators/huawei-metastudio-auth.js';

const KEYS = { accessKey: 'AKEXAMPLE', secretKey: 'SKEXAMPLE' };
const URL_FILES = 'https://metastudio.cn-north-4.myhuaweicloud.com/v1/6a6a1f8354f64dd9b9a614def7b59d83/files';
const BODY = JSON.stringify({
  file_name: '1.png',
  file_md5: 'n58IG6hfM7vqI4K0vnWpog==',
  file_size: 1048576,
  file_type: 'png',
  asset_id: '8cb2f48a2cb006154794741933421100',
  asset_file_category: 'MAIN',
});
const DATE = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

function requestOf(headers: Record<string, string>, body = BODY, url = URL_FILES): Request {
  return new Request(url, { method: 'POST', headers, body });
}

describe('Huawei SDK-HMAC-SHA256 signing', () => {
  it('matches a signature computed by a straight Node port of the SDK\'s AKSKSigner', async () => {
    // Computed with node:crypto from the SDK's algorithm (canonical URI with "/", sorted lower-case headers + host).
    const headers = await signHuaweiRequest({ method: 'POST', url: URL_FILES, headers: { 'Content-Type': 'application/json' }, body: BODY, date: DATE }, KEYS);
    expect(headers['X-Sdk-Date']).to.equal('20240101T000000Z');
    expect(headers['Content-Type']).to.equal('application/json');
    expect(headers.Authorization).to.equal(
      'SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, ' +
        'Signature=2febb68d42dad0f325f5c09d89ba83cd69c386c5481d719c154525b54a6788ca',
    );
  });

  it('formats X-Sdk-Date, encodes the canonical URI and query as the SDK does', () => {
    expect(sdkDate(new Date(Date.UTC(2022, 11, 16, 1, 2, 3, 456)))).to.equal('20221216T010203Z');
    expect(canonicalUri('/v1/p/files')).to.equal('/v1/p/files/');
    expect(canonicalUri('/v1/p/files/')).to.equal('/v1/p/files/');
    expect(huaweiUrlEncode('a b/c~*ä')).to.equal('a%20b%2Fc~%2A%C3%A4');
  });

  it('is accepted by the emulator\'s own verifier, and refused when the body, key or date is off', async () => {
    const now = DATE.getTime();
    const signed = await signHuaweiRequest({ method: 'POST', url: URL_FILES, headers: { 'Content-Type': 'application/json' }, body: BODY, date: DATE }, KEYS);
    const bytes = new TextEncoder().encode(BODY);
    expect(await verifyHuaweiSignature(requestOf(signed), bytes, KEYS, now, 15 * 60_000)).to.deep.equal({ ok: true });

    const tampered = new TextEncoder().encode(BODY.replace('1048576', '1048577'));
    const badBody = await verifyHuaweiSignature(requestOf(signed), tampered, KEYS, now, 15 * 60_000);
    expect(badBody.ok).to.equal(false);
    const otherKey = await verifyHuaweiSignature(requestOf(signed), bytes, { ...KEYS, secretKey: 'other' }, now, 15 * 60_000);
    expect(otherKey.ok).to.equal(false);
    const late = await verifyHuaweiSignature(requestOf(signed), bytes, KEYS, now + 16 * 60_000, 15 * 60_000);
    expect(late).to.deep.equal({ ok: false, reason: 'X-Sdk-Date is outside the allowed clock skew; the signature expired.' });
    const unknownKey = await verifyHuaweiSignature(requestOf(signed), bytes, { ...KEYS, accessKey: 'AKOTHER' }, now, 15 * 60_000);
    expect(unknownKey).to.deep.equal({ ok: false, reason: 'The access key is unknown.' });
  });

  it('signs the query into the canonical request', async () => {
    const url = `${URL_FILES}?limit=10&offset=0`;
    const signed = await signHuaweiRequest({ method: 'GET', url, headers: {}, date: DATE }, KEYS);
    const request = new Request(url, { headers: signed });
    expect(await verifyHuaweiSignature(request, new Uint8Array(), KEYS, DATE.getTime(), 60_000)).to.deep.equal({ ok: true });
    const moved = new Request(`${URL_FILES}?limit=11&offset=0`, { headers: signed });
    expect((await verifyHuaweiSignature(moved, new Uint8Array(), KEYS, DATE.getTime(), 60_000)).ok).to.equal(false);
  });
});

describe('OBS query-string signature', () => {
  it('is the Base64 HMAC-SHA1 of PUT, Content-MD5, Content-Type, Expires and the resource', async () => {
    // Computed with node:crypto: createHmac('sha1', 'obs-secret').update(lines.join('\n')).digest('base64').
    const signature = await obsQuerySignature('obs-secret', {
      method: 'PUT',
      contentMd5: 'n58IG6hfM7vqI4K0vnWpog==',
      contentType: 'image/png',
      expires: 1671154644,
      resource: '/bucket/a/b.png',
    });
    expect(signature).to.equal('I7tM1IE+Xk14sEbUmaPC6bEGE4c=');
  });
});
