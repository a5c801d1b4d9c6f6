// The README's recipe for binding tus uploads to their user on a real @tus/server: the upload id starts with the
// owner's token, and every later request on it is checked against the caller. The user comes from a test header here,
// standing in for the session lookup a real backend does.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const userOf = (request: Request): string | undefined => request.headers.get('x-test-user') ?? undefined;
/** One token per user that no other user's token starts with: hex has no `_`. */
const owner = (userId: string): string => Buffer.from(userId).toString('hex');
const FORBIDDEN = { status_code: 403, body: 'Forbidden\n' };

describe('tus uploads bound to their user (README recipe, @tus/server 2)', () => {
  let directory: string;
  let server: HttpServer;
  let endpoint: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mcu-tus-binding-'));
    const tus = new Server({
      path: '/files',
      datastore: new FileStore({ directory }),
      namingFunction(request) {
        const userId = userOf(request);
        if (!userId) throw FORBIDDEN;
        return `${owner(userId)}_${randomUUID()}`;
      },
      async onIncomingRequest(request, uploadId) {
        const userId = userOf(request);
        if (!userId || !uploadId.startsWith(`${owner(userId)}_`)) throw FORBIDDEN;
      },
    });
    server = createServer((req, res) => void tus.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  const tusHeaders = (user: string | undefined, extra: Record<string, string> = {}) => ({
    'tus-resumable': '1.0.0',
    ...(user === undefined ? {} : { 'x-test-user': user }),
    ...extra,
  });

  async function create(user: string | undefined): Promise<Response> {
    return fetch(endpoint, { method: 'POST', headers: tusHeaders(user, { 'upload-length': '10' }) });
  }

  it('lets the owner create, resume and finish its upload', async () => {
    const created = await create('alice');
    assert.equal(created.status, 201);
    const location = new URL(created.headers.get('location') as string, endpoint).href;
    const head = await fetch(location, { method: 'HEAD', headers: tusHeaders('alice') });
    assert.equal(head.headers.get('upload-offset'), '0');
    const patched = await fetch(location, {
      method: 'PATCH',
      headers: tusHeaders('alice', { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
      body: '0123456789',
    });
    assert.equal(patched.status, 204);
    assert.equal(patched.headers.get('upload-offset'), '10');
  });

  it('refuses another user every request on the upload, and a caller without a user the creation', async () => {
    const created = await create('alice');
    const location = new URL(created.headers.get('location') as string, endpoint).href;
    // "alice" and "alice2" share a prefix; their tokens do not.
    for (const intruder of ['bob', 'alice2', undefined]) {
      for (const [method, extra] of [
        ['HEAD', {}],
        ['PATCH', { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }],
        ['DELETE', {}],
      ] as const) {
        const answer = await fetch(location, {
          method,
          headers: tusHeaders(intruder, extra),
          ...(method === 'PATCH' && { body: 'xxxxxxxxxx' }),
        });
        assert.equal(answer.status, 403, `${method} by ${intruder ?? 'nobody'}`);
      }
    }
    const head = await fetch(location, { method: 'HEAD', headers: tusHeaders('alice') });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('upload-offset'), '0');
    assert.equal((await create(undefined)).status, 403);
  });
});
