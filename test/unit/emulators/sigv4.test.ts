import { expect } from '@open-wc/testing';
import {
  canonicalRequest,
  parseQuery,
  presignUrl,
  signature,
  stringToSign,
  uriEncode,
  verifySigV4,
} from '../../../src/emulators/sigv4.js';

// The presigned GET example of https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
const AWS_EXAMPLE = {
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  query:
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host',
  signature: 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
};

describe('sigv4', () => {
  it('reproduces the presigned-URL example of the AWS documentation', async () => {
    const canonical = canonicalRequest({
      method: 'GET',
      pathname: '/test.txt',
      query: parseQuery(AWS_EXAMPLE.query),
      headers: { host: 'examplebucket.s3.amazonaws.com' },
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const toSign = await stringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', canonical);
    expect(toSign.split('\n')[3]).to.equal('3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04');
    const sig = await signature(AWS_EXAMPLE.credentials.secretAccessKey, '20130524', 'us-east-1', 's3', toSign);
    expect(sig).to.equal(AWS_EXAMPLE.signature);
  });

  it('verifies the documented URL at its time and refuses it a day later', async () => {
    const url = `https://examplebucket.s3.amazonaws.com/test.txt?${AWS_EXAMPLE.query}&X-Amz-Signature=${AWS_EXAMPLE.signature}`;
    const options = {
      secretFor: (id: string) => (id === AWS_EXAMPLE.credentials.accessKeyId ? AWS_EXAMPLE.credentials.secretAccessKey : undefined),
      region: 'us-east-1',
    };
    const signedAt = Date.UTC(2013, 4, 24);
    expect(await verifySigV4(new Request(url), { ...options, now: signedAt + 1000 })).to.deep.include({ ok: true, mode: 'query' });
    const late = await verifySigV4(new Request(url), { ...options, now: signedAt + 86_401_000 });
    expect(late).to.deep.include({ ok: false, code: 'AccessDenied', message: 'Request has expired' });
  });

  it('encodes like RFC 3986 with S3 paths keeping their slashes', () => {
    expect(uriEncode("a b+(1)!*'~é/x")).to.equal('a%20b%2B%281%29%21%2A%27~%C3%A9%2Fx');
    expect(uriEncode('dir/a b', true)).to.equal('dir/a%20b');
  });

  it('keeps "+" in a query as a plus, not a space', () => {
    expect(parseQuery('?a=1+2&b=%2B&uploads')).to.deep.equal([['a', '1+2'], ['b', '+'], ['uploads', '']]);
  });

  it('presigns URLs that verify, with signed extra headers', async () => {
    const credentials = { accessKeyId: 'AK', secretAccessKey: 'SK' };
    const now = Date.UTC(2026, 0, 1);
    const url = await presignUrl({
      method: 'PUT',
      url: 'http://localhost:1/b/k?partNumber=1&uploadId=u',
      credentials,
      region: 'us-east-1',
      expiresIn: 60,
      headers: { 'Content-MD5': 'abc' },
      now,
    });
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).to.equal('content-md5;host');
    const options = { secretFor: () => 'SK', region: 'us-east-1', now };
    const signed = new Request(url, { method: 'PUT', headers: { 'content-md5': 'abc' } });
    expect((await verifySigV4(signed, options)).ok).to.equal(true);
    const unsigned = new Request(url, { method: 'PUT' });
    expect(await verifySigV4(unsigned, options)).to.deep.include({ ok: false, code: 'SignatureDoesNotMatch' });
  });
});
