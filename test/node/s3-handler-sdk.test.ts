// createS3Handler loads the AWS SDK on first use: without it installed, the server entry still imports and the other
// handlers run, and the S3 handler says which package is missing (to onError, not to the page).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// A module resolve hook under which no @aws-sdk/* package exists, as in a runtime where it is not installed.
const WITHOUT_SDK = `data:text/javascript,${encodeURIComponent(`
  import { register } from 'node:module';
  register('data:text/javascript,' + encodeURIComponent(\`
    export async function resolve(specifier, context, next) {
      if (specifier.startsWith('@aws-sdk/')) {
        throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return next(specifier, context);
    }
  \`));
`)}`;

const SCRIPT = `
  const entry = await import('./src/server/index.ts');
  const errors = [];
  const handler = entry.createS3Handler({ bucket: 'b', region: 'us-east-1', onError: (error) => errors.push(error) });
  const response = await handler(new Request('http://app.test/s3/params?method=PUT&filename=a.txt'));
  console.log(JSON.stringify({
    exports: Object.keys(entry).length,
    status: response.status,
    body: await response.json(),
    errors: errors.map((error) => error.message),
  }));
`;

async function runWithoutSdk(): Promise<{ exports: number; status: number; body: unknown; errors: string[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--import', WITHOUT_SDK, '--input-type=module', '--eval', SCRIPT],
    { cwd: ROOT },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string);
}

describe('createS3Handler without the AWS SDK installed', () => {
  it('lets the server entry import, and answers a generic 500 while onError names the missing package', async () => {
    const outcome = await runWithoutSdk();
    assert.ok(outcome.exports > 0);
    assert.equal(outcome.status, 500);
    assert.deepEqual(outcome.body, { error: { code: 'internal-error', message: 'Internal server error.' } });
    assert.equal(outcome.errors.length, 1);
    assert.match(outcome.errors[0] as string, /optional package @aws-sdk\/client-s3/);
  });
});
