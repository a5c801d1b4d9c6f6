import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { hashWorkerUrl } from '../../src/hashing/worker-source.js';
import { e2eServers, emulatorObject, firstDifference } from '../helpers/e2e.js';
import { elementOutcome } from '../helpers/element-outcome.js';
import { makeBytes } from '../helpers/make-blob.js';

const MiB = 1024 * 1024;

async function uploader(endpoint: string, workerUrl: string): Promise<MultiCloudUploader> {
  return fixture<MultiCloudUploader>(html`<multi-cloud-uploader
    provider="s3"
    endpoint=${endpoint}
    worker-url=${workerUrl}
    part-size=${String(5 * MiB)}
    no-resume
  ></multi-cloud-uploader>`);
}

describe('<multi-cloud-uploader worker-url>', function () {
  this.timeout(60_000);

  it('hashes with the worker script at worker-url and uploads byte for byte', async () => {
    const { apiUrl } = await e2eServers();
    const el = await uploader(apiUrl, hashWorkerUrl().href);
    const bytes = makeBytes(6 * MiB + 3, 7);
    const { result, error } = await elementOutcome(el, new File([bytes], 'worker-url.bin'));
    expect(error).to.equal(undefined);
    expect(firstDifference(await emulatorObject(result!.key as string), bytes)).to.equal(-1);
  });

  it('fails with worker-unavailable, not bad-response, when no worker script is there', async () => {
    const { apiUrl } = await e2eServers();
    const el = await uploader(apiUrl, '/no/such/hash.worker.js');
    const { error } = await elementOutcome(el, new File([makeBytes(1000, 3)], 'no-worker.bin'));
    expect(error?.code).to.equal('worker-unavailable');
    expect(error?.message).to.contain('hashing worker');
  });
});
