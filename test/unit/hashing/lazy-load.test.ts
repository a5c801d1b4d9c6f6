import { expect } from '@open-wc/testing';
import { HashClient } from '../../../src/hashing/hash-client.js';

/** Paths the page has fetched so far, the worker's fetches included. */
function fetchedPaths(): string[] {
  return performance.getEntriesByType('resource').map(({ name }) => new URL(name).pathname);
}

describe('HashClient loading', () => {
  let client: HashClient | undefined;

  afterEach(() => client?.terminate());

  it('fetches neither the worker nor hash-wasm until the first job', async () => {
    // The resource timeline holds 250 entries by default; a full one would hide later fetches.
    expect(fetchedPaths().length).to.be.below(200);
    expect(fetchedPaths()).to.include('/src/hashing/hash-client.ts');
    let workers = 0;
    client = new HashClient({
      createWorker: () => {
        workers++;
        return new Worker(new URL('../../../src/hashing/hash.worker.ts', import.meta.url), { type: 'module' });
      },
    });
    const lazy = (): string[] => fetchedPaths().filter((path) => path.includes('hash-wasm') || path.includes('hash.worker') || path.includes('hashers'));
    expect(lazy()).to.deep.equal([]);
    expect(workers).to.equal(0);

    const run = client.start({
      blob: new Blob(['abc']),
      plan: { partSize: 3, partCount: 1 },
      specs: [{ name: 'md5', algorithm: 'md5', encoding: 'hex', scope: 'file', when: 'before-complete' }],
    });
    expect(await run.digest('md5')).to.equal('900150983cd24fb0d6963f7d28e17f72');
    expect(workers).to.equal(1);
    expect(lazy()).to.include.members(['/src/hashing/hash.worker.ts', '/node_modules/hash-wasm/dist/index.esm.js']);
  });
});
