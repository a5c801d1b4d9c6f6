import { expect } from '@open-wc/testing';
import type { HttpResponse } from '../../../src/core/http.js';
import { OBJECT_STORE_ERRORS } from '../../../src/providers/error-mapping.js';
import { parseS3Error } from '../../../src/providers/s3.js';
import { parseAliyunPdsError } from '../../../src/providers/aliyun-pds.js';
import { parseKooDriveError } from '../../../src/providers/huawei-koodrive.js';
import { parseMetaStudioError } from '../../../src/providers/huawei-metastudio.js';

/** The statuses the object stores send these codes with (S3's error-code list; OSS and OBS follow it). */
const STATUS: Record<string, number> = {
  AccessDenied: 403,
  SignatureDoesNotMatch: 403,
  InvalidAccessKeyId: 403,
  RequestTimeTooSkewed: 403,
  NoSuchUpload: 404,
  NoSuchKey: 404,
  NoSuchBucket: 404,
  InternalError: 500,
  SlowDown: 503,
  ServiceUnavailable: 503,
};

const PROVIDER_WORDS = 'the words the storage sent';

function xmlError(code: string): HttpResponse {
  const text = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${PROVIDER_WORDS}</Message><RequestId>req-1</RequestId></Error>`;
  return { status: STATUS[code] ?? 400, text, url: 'https://storage.example/bucket/key', headers: { get: () => null } };
}

/** Every adapter whose storage answers in the S3/OSS/OBS XML dialect. */
const PARSERS = {
  s3: parseS3Error,
  'aliyun-pds (OSS part URLs)': parseAliyunPdsError,
  'huawei-koodrive (OBS part URLs)': parseKooDriveError,
  'huawei-metastudio (OBS upload URL)': parseMetaStudioError,
};

describe('the object-store XML dialect, shared by every adapter that speaks it', () => {
  it('holds the codes the S3, OSS and OBS error pages share', () => {
    expect(Object.keys(OBJECT_STORE_ERRORS)).to.include.members([
      'NoSuchUpload',
      'NoSuchKey',
      'InvalidPart',
      'InvalidPartOrder',
      'EntityTooSmall',
      'SignatureDoesNotMatch',
      'AccessDenied',
      'RequestTimeTooSkewed',
      'SlowDown',
      'InternalError',
      'ServiceUnavailable',
      'ExpiredToken',
      'BadDigest',
      'InvalidDigest',
    ]);
  });

  for (const [provider, parse] of Object.entries(PARSERS)) {
    it(`${provider}: each code means the same error class, told in a sentence of the adapter's own`, () => {
      for (const [code, [expected]] of Object.entries(OBJECT_STORE_ERRORS)) {
        const error = parse(xmlError(code));
        expect(error.code, code).to.equal(expected);
        // A sentence the adapter wrote first; the storage's words may follow it, never stand in for it.
        expect(error.message, code).to.match(/^[A-Z][^.]*\./);
        expect(error.message.startsWith(PROVIDER_WORDS), code).to.equal(false);
        expect(error.provider?.code, code).to.equal(code);
        // BadDigest is the bytes damaged on the way, with a digest taken from the file: sending again cures it.
        if (code === 'BadDigest') expect(error.retryable, code).to.equal(true);
      }
    });
  }
});
