import { expect } from '@open-wc/testing';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay, withRetry } from '../../../src/core/retry.js';
import { UploadError } from '../../../src/core/errors.js';

const policy = { ...DEFAULT_RETRY_POLICY, retries: 3, baseDelayMs: 100, maxDelayMs: 1000 };

function recorder() {
  const waits: number[] = [];
  return { waits, wait: async (ms: number) => void waits.push(ms) };
}

describe('retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).to.equal(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).to.equal(6000);
    expect(parseRetryAfter('soon')).to.equal(undefined);
    expect(parseRetryAfter(null)).to.equal(undefined);
  });
  it('backs off exponentially with jitter between half and the full ceiling', () => {
    expect(retryDelay(0, policy, null, () => 0)).to.equal(50);
    expect(retryDelay(0, policy, null, () => 1)).to.equal(100);
    expect(retryDelay(3, policy, null, () => 1)).to.equal(800);
    expect(retryDelay(10, policy, null, () => 1)).to.equal(1000);
  });
  it('waits at least as long as Retry-After asks, within a cap', () => {
    expect(retryDelay(0, policy, '2', () => 0)).to.equal(2000);
    expect(retryDelay(0, policy, '100000', () => 0)).to.equal(policy.maxRetryAfterMs);
  });

  it('retries 5xx-like errors, honouring Retry-After, then succeeds', async () => {
    const { waits, wait } = recorder();
    let calls = 0;
    const result = await withRetry(
      async () => {
        if (++calls < 3) throw new UploadError('rate-limited', 'slow down', { status: 503, retryAfter: '1' });
        return 'ok';
      },
      policy,
      { signal: new AbortController().signal, wait, random: () => 0 },
    );
    expect(result).to.equal('ok');
    expect(waits).to.deep.equal([1000, 1000]);
  });
  it('never retries a request the server calls wrong', async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw new UploadError('provider-rejected', 'bad');
      },
      policy,
      { signal: new AbortController().signal, wait: async () => {} },
    );
    await failing.then(() => expect.fail('should fail'), (error: UploadError) => expect(error.code).to.equal('provider-rejected'));
    expect(calls).to.equal(1);
  });
  it('gives up after the allowed retries with the last error', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw new UploadError('server-error', `fail ${calls}`);
      },
      policy,
      { signal: new AbortController().signal, wait: async () => {} },
    ).catch((e: UploadError) => e);
    expect(calls).to.equal(4);
    expect((error as UploadError).message).to.equal('fail 4');
  });
  it('re-signs an expired URL at once without counting a failure', async () => {
    const { waits, wait } = recorder();
    let calls = 0;
    await withRetry(
      async () => {
        calls++;
        if (calls <= 3) throw new UploadError('url-expired', 'expired');
        if (calls <= 6) throw new UploadError('server-error', 'oops');
        return 'ok';
      },
      policy,
      { signal: new AbortController().signal, wait },
    );
    expect(calls).to.equal(7);
    expect(waits).to.have.length(3);
  });
  it('waits for the browser to come back online instead of spending retries', async () => {
    let online = false;
    let calls = 0;
    const done = withRetry(
      async () => {
        calls++;
        if (!online) throw new UploadError('network', 'offline');
        return 'ok';
      },
      { ...policy, retries: 0 },
      { signal: new AbortController().signal, isOnline: () => online },
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).to.equal(1);
    online = true;
    window.dispatchEvent(new Event('online'));
    expect(await done).to.equal('ok');
  });
  it('stops waiting when aborted, with the abort reason', async () => {
    const controller = new AbortController();
    const reason = { why: 'pause' };
    const done = withRetry(
      async () => {
        throw new UploadError('server-error', 'x');
      },
      { ...policy, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      { signal: controller.signal },
    );
    controller.abort(reason);
    expect(await done.catch((e) => e)).to.equal(reason);
  });
});
