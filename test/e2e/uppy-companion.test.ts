import { expect } from '@open-wc/testing';
import { e2eServers, emulatorObject, firstDifference } from '../helpers/e2e.js';
import { makeBytes } from '../helpers/make-blob.js';

const MiB = 1024 * 1024;
// Served by test/helpers/uppy-bundle-plugin.ts: Uppy as an app's bundler ships it (it imports CommonJS packages).
const UPPY_BUNDLE_PATH = '/__uppy.js';
type UppyModule = typeof import('../helpers/uppy-entry.js');

interface UppyOutcome {
  key: string;
  location: string;
}

/**
 * Uploads `file` with a real Uppy 6 and `@uppy/aws-s3` in Companion mode against `companionEndpoint`, as an
 * existing Uppy page would; multipart above 5 MiB, otherwise Uppy's single upload (a POST policy).
 */
async function uploadWithUppy(companionEndpoint: string, file: File): Promise<UppyOutcome> {
  const { Uppy, AwsS3 } = (await import(/* @vite-ignore */ UPPY_BUNDLE_PATH)) as UppyModule;
  const uppy = new Uppy().use(AwsS3, {
    companionEndpoint,
    shouldUseMultipart: (candidate) => (candidate.size ?? 0) > 5 * MiB,
    getChunkSize: () => 5 * MiB,
  });
  try {
    uppy.addFile({ name: file.name, type: file.type, data: file });
    const result = await uppy.upload();
    const failure = result?.failed?.[0];
    if (failure) throw new Error(`Uppy failed: ${String(failure.error)}`);
    const body = result?.successful?.[0]?.response?.body as { key?: unknown; location?: unknown } | undefined;
    expect(body?.key, 'Uppy reports the stored key').to.be.a('string');
    return { key: body?.key as string, location: String(body?.location) };
  } finally {
    uppy.destroy();
  }
}

async function s3rverObject(key: string): Promise<{ bytes: Uint8Array; type: string | null }> {
  const { s3rverUrl, s3rverBucket } = await e2eServers();
  const response = await fetch(`${s3rverUrl}/${s3rverBucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
  expect(response.status, `object ${key}`).to.equal(200);
  return { bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get('content-type') };
}

describe('a real Uppy 6 client (@uppy/aws-s3, companionEndpoint) against createS3Handler', function () {
  this.timeout(120_000);

  it('uploads a small file with the POST policy /s3/params answers, to s3rver, byte for byte', async () => {
    const { s3rverApiUrl } = await e2eServers();
    const bytes = makeBytes(70_001, 31);
    const { key, location } = await uploadWithUppy(s3rverApiUrl, new File([bytes], 'small note.txt', { type: 'text/plain' }));
    expect(key).to.match(/^uploads\/[0-9a-f-]{36}\/small note\.txt$/);
    expect(location).to.contain(key.split('/')[1]);
    const stored = await s3rverObject(key);
    expect(firstDifference(stored.bytes, bytes)).to.equal(-1);
    expect(stored.type).to.equal('text/plain');
  });

  it('stores a small HTML file as application/octet-stream, so it cannot run with the bucket origin', async () => {
    const { s3rverApiUrl } = await e2eServers();
    const bytes = new TextEncoder().encode('<script>parent.postMessage(document.cookie, "*")</script>');
    const { key } = await uploadWithUppy(s3rverApiUrl, new File([bytes], 'page.html', { type: 'text/html' }));
    const stored = await s3rverObject(key);
    expect(firstDifference(stored.bytes, bytes)).to.equal(-1);
    expect(stored.type).to.equal('application/octet-stream');
  });

  it('uploads a 12 MiB file in parts to s3rver, byte for byte', async () => {
    const { s3rverApiUrl } = await e2eServers();
    const bytes = makeBytes(12 * MiB + 5, 32);
    const { key } = await uploadWithUppy(s3rverApiUrl, new File([bytes], 'parts.bin', { type: 'application/octet-stream' }));
    expect(key).to.match(/^uploads\/[0-9a-f-]{36}\/parts\.bin$/);
    expect(firstDifference((await s3rverObject(key)).bytes, bytes)).to.equal(-1);
  });

  it('uploads a 6 MiB file in parts through the strict emulator, which checks every signature', async () => {
    const { apiUrl } = await e2eServers();
    const bytes = makeBytes(6 * MiB + 3, 33);
    const { key } = await uploadWithUppy(apiUrl, new File([bytes], 'strict.bin', { type: 'application/octet-stream' }));
    expect(firstDifference(await emulatorObject(key), bytes)).to.equal(-1);
  });
});
