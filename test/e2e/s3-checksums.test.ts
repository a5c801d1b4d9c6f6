import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import type { S3Checksum } from '../../src/providers/s3.js';
import { makeBytes } from '../helpers/make-blob.js';
import { e2eServers, emulatorAdmin, emulatorObject, firstDifference } from '../helpers/e2e.js';
import { elementOutcome } from '../helpers/element-outcome.js';

const MiB = 1024 * 1024;
const MODES: S3Checksum[] = ['none', 'md5', 'crc32', 'crc32c', 'sha1', 'sha256', 'crc64nvme'];
const SHAPES = [
  { name: 'single PUT', size: 1 * MiB + 7, requests: 1 },
  { name: 'multipart', size: 10 * MiB + 7, requests: 3 },
];

/** The signing requests the page sent since the last clear (`/s3/params` and part signatures), with their queries. */
function signingQueries(apiUrl: string): URLSearchParams[] {
  const base = new URL(apiUrl).pathname;
  return performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name))
    .filter((url) => url.pathname === `${base}/s3/params` || /\/s3\/multipart\/[^/]+\/\d+$/.test(url.pathname))
    .map((url) => url.searchParams);
}

async function upload(endpoint: string, checksum: S3Checksum, bytes: Uint8Array<ArrayBuffer>, name: string) {
  const el = await fixture<MultiCloudUploader>(
    html`<multi-cloud-uploader
      provider="s3"
      endpoint=${endpoint}
      part-size=${String(5 * MiB)}
      no-resume
      .adapterOptions=${{ checksum }}
    ></multi-cloud-uploader>`,
  );
  return elementOutcome(el, new File([bytes], name, { type: 'application/octet-stream' }));
}

/** What the page must have asked the backend to sign, so that the checksum header it sends is covered. */
function expectSigned(queries: URLSearchParams[], checksum: S3Checksum, requests: number): void {
  expect(queries).to.have.length(requests);
  for (const query of queries) {
    if (checksum === 'none') expect([query.has('contentMd5'), query.has('checksumAlgorithm')]).to.deep.equal([false, false]);
    else if (checksum === 'md5') expect(query.get('contentMd5')).to.be.a('string');
    else expect(query.get('checksumAlgorithm')?.toLowerCase()).to.equal(checksum);
  }
}

describe('S3 checksum modes × single PUT and multipart, through <multi-cloud-uploader>', function () {
  this.timeout(120_000);

  beforeEach(() => {
    performance.setResourceTimingBufferSize(10_000);
    performance.clearResourceTimings();
  });

  describe('to the strict emulator', () => {
    beforeEach(async () => {
      await emulatorAdmin('reset', { method: 'POST' }).catch(() => undefined);
    });

    for (const checksum of MODES) {
      for (const shape of SHAPES) {
        it(`${checksum}, ${shape.name}: stored byte for byte, the checksum signed and checked`, async () => {
          const { apiUrl } = await e2eServers();
          const bytes = makeBytes(shape.size, MODES.indexOf(checksum) + 1);
          const { result, error } = await upload(apiUrl, checksum, bytes, `${checksum}-${shape.requests}.bin`);
          expect(error).to.equal(undefined);
          expectSigned(signingQueries(apiUrl), checksum, shape.requests);
          expect(firstDifference(await emulatorObject(result!.key as string), bytes)).to.equal(-1);
        });
      }
    }
  });

  describe('to s3rver', () => {
    for (const checksum of MODES) {
      for (const shape of SHAPES) {
        it(`${checksum}, ${shape.name}: stored byte for byte`, async () => {
          const { s3rverApiUrl, s3rverUrl, s3rverBucket } = await e2eServers();
          const bytes = makeBytes(shape.size, MODES.indexOf(checksum) + 11);
          const { result, error } = await upload(s3rverApiUrl, checksum, bytes, `${checksum}-${shape.requests}.bin`);
          expect(error).to.equal(undefined);
          expectSigned(signingQueries(s3rverApiUrl), checksum, shape.requests);
          const key = (result!.key as string).split('/').map(encodeURIComponent).join('/');
          const stored = new Uint8Array(await (await fetch(`${s3rverUrl}/${s3rverBucket}/${key}`)).arrayBuffer());
          expect(firstDifference(stored, bytes)).to.equal(-1);
        });
      }
    }
  });
});
