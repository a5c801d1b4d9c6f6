// Two MetaStudio handler instances sharing only their secret, as behind a load balancer: each serves every upload the
// other created, because the file record travels sealed with the page instead of living in one process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { MetaStudioEmulator } from '../../src/emulators/huawei-metastudio-emulator.js';
import { createMetaStudioHandler } from '../../src/server/huawei-metastudio-handler.js';
import type { MetaStudioHandlerOptions } from '../../src/server/huawei-metastudio-handler.js';
import { listen, type Listening } from './helpers/listen.js';

const PROJECT = 'p2instances';
const KEYS = { accessKey: 'AKTWOINSTANCES', secretKey: 'two-instances-sk' };
const SECRET = 'two-instances-sealing-secret-0123456789abcdef';

describe('MetaStudio handler: two instances with one secret serve the same upload', () => {
  let emulator: MetaStudioEmulator;
  let upstream: Listening;
  const servers: Listening[] = [];

  async function instance(options: Partial<MetaStudioHandlerOptions> = {}): Promise<string> {
    const server = await listen(
      createMetaStudioHandler({
        endpoint: `${upstream.url}/ms`,
        projectId: PROJECT,
        auth: KEYS,
        allowedUploadHosts: [new URL(upstream.url).host],
        secret: SECRET,
        authorize: (request) => request.headers.get('x-user') ?? false,
        ...options,
      }),
    );
    servers.push(server);
    return server.url;
  }

  before(async () => {
    let served: MetaStudioEmulator | undefined;
    upstream = await listen((request) => served!.handle(request));
    served = new MetaStudioEmulator({ basePath: '/ms', projectId: PROJECT, credentials: KEYS, origin: upstream.url });
    emulator = served;
  });
  after(async () => {
    for (const server of servers) await server.close();
    await upstream.close();
  });

  it('creates on A, PUTs the bytes through B, confirms on A; an instance with another secret refuses the ref', async () => {
    const [a, b, other] = [await instance(), await instance(), await instance({ secret: 'another-sealing-secret-0123456789abcdefgh' })];
    const bytes = randomBytes(300_000);
    const md5 = createHash('md5').update(bytes).digest('base64');
    const assetId = emulator.createAsset('two', 'VIDEO');
    const user = { 'x-user': 'alice' };

    const created = await fetch(`${a}/files`, {
      method: 'POST',
      headers: { ...user, 'content-type': 'application/json' },
      body: JSON.stringify({ file_name: 'two.mp4', file_md5: md5, file_size: bytes.byteLength, file_type: 'mp4', asset_id: assetId, asset_file_category: 'MAIN' }),
    });
    assert.equal(created.status, 200);
    const { file_id: fileId, upload_ref: ref } = (await created.json()) as { file_id: string; upload_ref: string };
    assert.match(ref, /^[A-Za-z0-9_-]+$/);
    assert.ok(!ref.includes(fileId));

    const put = await fetch(`${b}/files/${ref}/content`, {
      method: 'PUT',
      headers: { ...user, 'content-md5': md5, 'content-type': 'video/mp4' },
      body: bytes,
    });
    assert.equal(put.status, 200, await put.clone().text());

    const refused = await fetch(`${other}/files/${ref}/complete`, {
      method: 'POST',
      headers: { ...user, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'CREATED' }),
    });
    assert.equal(refused.status, 403);

    const confirmed = await fetch(`${a}/files/${ref}/complete`, {
      method: 'POST',
      headers: { ...user, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'CREATED' }),
    });
    assert.equal(confirmed.status, 200);
    assert.deepEqual(emulator.storedBytes(fileId), new Uint8Array(bytes));
    assert.equal(emulator.fileRecord(fileId)?.state, 'UPLOADED');
    assert.deepEqual(emulator.stats.putOrigins, [null]);
  });
});
