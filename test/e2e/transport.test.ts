import { expect } from '@open-wc/testing';
import { createXhrTransport } from '../../src/core/transport.js';
import { e2eServers } from '../helpers/e2e.js';
import { otherFramesFile } from '../helpers/make-blob.js';

// No msw here: Chromium reports no upload progress for a request a service worker handles.
describe('createXhrTransport against a real server (@tus/server)', () => {
  it('reports upload progress for a body that is a File from another frame', async () => {
    const { tusUrl } = await e2eServers();
    const created = await fetch(tusUrl, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '100000' } });
    const location = new URL(created.headers.get('location') as string, tusUrl).href;
    const file = otherFramesFile('x'.repeat(100_000), 'photo.bin', '');
    expect(file instanceof File).to.equal(false);
    const loaded: number[] = [];
    const response = await createXhrTransport()(
      {
        method: 'PATCH',
        url: location,
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
        body: file,
      },
      { signal: new AbortController().signal, onUploadProgress: (bytes) => loaded.push(bytes) },
    );
    expect(response.status).to.equal(204);
    expect(loaded.at(-1)).to.equal(100_000);
  });
});
