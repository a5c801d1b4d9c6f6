import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { HttpResponse, delay, http } from 'msw';
import { createXhrTransport } from '../../../src/core/transport.js';
import { UploadError } from '../../../src/core/errors.js';
import { otherFramesFile } from '../../helpers/make-blob.js';

const worker = setupWorker(
  // A backend that thinks before it answers, as a complete call over thousands of parts can.
  http.post('*/transport-test/slow-answer', async () => {
    await delay(600);
    return HttpResponse.json({ ok: true });
  }),
  http.get('*/transport-test/no-answer', async () => {
    await delay('infinite');
    return HttpResponse.json({});
  }),
  http.put('*/transport-test/echo', async ({ request }) =>
    HttpResponse.json({ type: request.headers.get('content-type'), text: await request.text() }),
  ),
);

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(UploadError);
    return error as UploadError;
  }
  throw new Error('expected the request to fail');
}

describe('createXhrTransport', () => {
  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());

  const signal = new AbortController().signal;
  const url = (path: string) => `${location.origin}/transport-test/${path}`;

  it('lets a request without a body to upload wait past the stall window, up to its own timeout', async () => {
    const send = createXhrTransport({ stallTimeoutMs: 200, requestTimeoutMs: 5000 });
    const response = await send({ method: 'POST', url: url('slow-answer'), body: '{"parts":[]}' }, { signal });
    expect(response.status).to.equal(200);
    expect(JSON.parse(response.text)).to.deep.equal({ ok: true });
  });

  it('ends a request without a body at its timeout, with a timeout error', async () => {
    const send = createXhrTransport({ stallTimeoutMs: 60_000, requestTimeoutMs: 300 });
    const started = performance.now();
    const error = await failure(send({ method: 'GET', url: url('no-answer') }, { signal }));
    expect(error.code).to.equal('timeout');
    expect(performance.now() - started).to.be.below(5000);
  });

  it('takes a request\'s own timeout over the default', async () => {
    const send = createXhrTransport({ stallTimeoutMs: 100, requestTimeoutMs: 100 });
    const response = await send({ method: 'POST', url: url('slow-answer'), body: '{}', timeoutMs: 5000 }, { signal });
    expect(response.status).to.equal(200);
  });

  it('sends a typed file without its type when the request names no Content-Type, so a signed URL signs what arrives', async () => {
    const send = createXhrTransport();
    for (const file of [new File(['hello'], 'photo.jpg', { type: 'image/jpeg' }), otherFramesFile('hello', 'photo.jpg', 'image/jpeg')]) {
      const response = await send({ method: 'PUT', url: url('echo'), body: file }, { signal });
      expect(JSON.parse(response.text)).to.deep.equal({ type: null, text: 'hello' });
    }
  });


  it('sends a typed file under the Content-Type the request names', async () => {
    const send = createXhrTransport();
    const file = new File(['hello'], 'photo.jpg', { type: 'image/jpeg' });
    const response = await send({ method: 'PUT', url: url('echo'), body: file, headers: { 'Content-Type': 'application/octet-stream' } }, { signal });
    expect(JSON.parse(response.text)).to.deep.equal({ type: 'application/octet-stream', text: 'hello' });
  });
});
