import { expect } from '@open-wc/testing';
import { UploadError, codeForStatus, redactUrl, toUploadError } from '../../../src/core/errors.js';

describe('UploadError', () => {
  it('is retryable by default only for transient codes', () => {
    expect(new UploadError('network', 'x').retryable).to.equal(true);
    expect(new UploadError('provider-rejected', 'x').retryable).to.equal(false);
  });
  it('turns an AbortError into aborted', () => {
    expect(toUploadError(new DOMException('stop', 'AbortError')).code).to.equal('aborted');
  });
  it('maps a backend that timed out waiting for the body (408) and one the storage kept waiting (504) to retryable codes', () => {
    for (const status of [408, 504]) {
      expect(new UploadError(codeForStatus(status), 'x').retryable, String(status)).to.equal(true);
    }
    expect(codeForStatus(408)).to.equal('timeout');
  });
  it('strips query and fragment from URLs', () => {
    expect(redactUrl('https://b.example/k?X-Amz-Signature=abc#f')).to.equal('https://b.example/k');
  });
});

describe('mergeHeaders', () => {
  it('keeps one header per name whatever its case, the later set winning', async () => {
    const { mergeHeaders } = await import('../../../src/core/http.js');
    expect(mergeHeaders({ 'content-md5': 'a', Host: 'h' }, { 'Content-MD5': 'b' })).to.deep.equal({ 'Content-MD5': 'b', Host: 'h' });
  });
});
