import { expect } from '@open-wc/testing';
import { HashClient } from '../../../src/hashing/hash-client.js';
import { makeBlob } from '../../helpers/make-blob.js';

const MiB = 1024 * 1024;

describe('HashClient on a 100 MiB blob', () => {
  let client: HashClient | undefined;

  afterEach(() => client?.terminate());

  it('gives the same SHA-256 as WebCrypto over the same bytes', async () => {
    client = new HashClient();
    const size = 100 * MiB;
    let blob: Blob | undefined = makeBlob(size, 2024);
    const run = client.start({
      blob,
      plan: { partSize: 10 * MiB, partCount: 10 },
      specs: [{ name: 'sha256', algorithm: 'sha256', encoding: 'hex', scope: 'file', when: 'before-complete' }],
    });
    const digest = await run.digest('sha256');
    // WebCrypto is one-shot, so it needs the whole file in memory; that is the test's cost, not the client's.
    const reference = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    blob = undefined;
    expect(digest).to.equal([...reference].map((byte) => byte.toString(16).padStart(2, '0')).join(''));
  });
});
