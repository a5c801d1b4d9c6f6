import { expect } from '@open-wc/testing';
import { parseS3Error } from '../../../src/providers/s3.js';
import type { HttpResponse } from '../../../src/core/http.js';

function response(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, text, url: 'https://bucket.example/key', headers: { get: (name) => headers[name] ?? null } };
}

const xml = (code: string, message = 'm') =>
  `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r-1</RequestId></Error>`;

describe('S3 error mapping', () => {
  const cases: Array<[string, number, string, boolean]> = [
    ['SignatureDoesNotMatch', 403, 'auth-failed', false],
    ['InvalidAccessKeyId', 403, 'auth-failed', false],
    ['AccessDenied', 403, 'auth-failed', false],
    ['ExpiredToken', 400, 'url-expired', true],
    ['BadDigest', 400, 'hash-mismatch', true],
    ['InvalidDigest', 400, 'hash-mismatch', false],
    ['EntityTooSmall', 400, 'limit-exceeded', false],
    ['EntityTooLarge', 400, 'limit-exceeded', false],
    ['InvalidPart', 400, 'provider-rejected', false],
    ['InvalidPartOrder', 400, 'provider-rejected', false],
    ['NoSuchUpload', 404, 'not-found', false],
    ['SlowDown', 503, 'rate-limited', true],
    ['InternalError', 500, 'server-error', true],
    ['RequestTimeout', 400, 'timeout', true],
    ['InvalidPolicyDocument', 400, 'provider-rejected', false],
    ['MalformedPOSTRequest', 400, 'provider-rejected', false],
    ['IncorrectNumberOfFilesInPostRequest', 400, 'provider-rejected', false],
    ['MaxPostPreDataLengthExceededError', 400, 'provider-rejected', false],
    ['PreconditionFailed', 412, 'provider-rejected', false],
  ];
  for (const [code, status, expected, retryable] of cases) {
    it(`maps ${code} to ${expected}`, () => {
      const error = parseS3Error(response(status, xml(code)));
      expect(error.code).to.equal(expected);
      expect(error.retryable).to.equal(retryable);
      expect(error.provider).to.include({ id: 's3', code, requestId: 'r-1' });
      expect(error.message).to.not.equal('m');
    });
  }
  it('tells an expired presigned URL apart from other access denials', () => {
    const error = parseS3Error(response(403, xml('AccessDenied', 'Request has expired')));
    expect(error.code).to.equal('url-expired');
    expect(error.retryable).to.equal(true);
  });
  it('says a form broke its POST policy, with the condition S3 names, and does not send it again', () => {
    const said = 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]';
    const error = parseS3Error(response(403, xml('AccessDenied', said)));
    expect(error.code).to.equal('provider-rejected');
    expect(error.retryable).to.equal(false);
    expect(error.message).to.contain('POST policy');
    expect(error.message).to.contain('$Content-Type');
    expect(parseS3Error(response(403, xml('AccessDenied', 'Invalid according to Policy: Policy expired.'))).code).to.equal('url-expired');
  });
  it('keeps Retry-After', () => {
    expect(parseS3Error(response(503, xml('SlowDown'), { 'Retry-After': '7' })).retryAfter).to.equal('7');
  });
  it('reads the backend JSON error shape', () => {
    const error = parseS3Error(response(400, JSON.stringify({ error: { code: 'invalid-key', message: 'bad key' } })));
    expect(error.code).to.equal('provider-rejected');
    expect(error.provider?.code).to.equal('invalid-key');
    expect(error.message).to.contain('bad key');
  });
  it('falls back on the status for an unknown body, without the query string', () => {
    const error = parseS3Error({ ...response(502, '<html>bad gateway</html>'), url: 'https://api.example/s3/multipart' });
    expect(error.code).to.equal('server-error');
    expect(error.message).to.contain('https://api.example/s3/multipart');
  });
});
