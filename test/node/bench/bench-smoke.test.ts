// The bench is a yardstick users run (`npm run bench`): its short form here, every group at tiny sizes, so that a
// change that breaks a case, a peer or a byte check shows in CI instead of in someone's measurement. Figures are
// not asserted: they live in the bench's table, never in tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface TableRow {
  section: string;
  name: string;
  result: string;
  check: string;
}

function tableRows(markdown: string): TableRow[] {
  const lines = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
  const cells = (line: string) => line.slice(2, -2).split(' | ');
  const header = cells(lines[0]!);
  const at = (name: string) => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const row = cells(line);
    return { section: row[at('section')]!, name: row[at('case')]!, result: row[2]!, check: row.at(-1)! };
  });
}

describe('npm run bench', () => {
  it('runs every group at tiny sizes, and every upload it times stored the file byte for byte', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--size', '16', '--big', '16', '--files', '5', '--runs', '1'],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 280_000 },
    );
    const rows = tableRows(stdout);
    const sections = new Set(rows.map((row) => row.section));
    for (const section of ['read + hash', 'S3 multipart to s3rver', 'S3 multipart to a sink store', 'tus to a real @tus/server', 'providers through their emulators', '16 MiB on disk', '5 files of 16 kB']) {
      assert.ok([...sections].some((name) => name.startsWith(section)), `no ${section} group in ${[...sections].join(', ')}`);
    }
    const measured = rows.filter((row) => row.section !== 'environment' && row.section !== 'derived');
    for (const row of measured) {
      assert.doesNotMatch(row.result, /^failed/, `${row.section}: ${row.name}`);
      assert.doesNotMatch(row.check, /✗/, `${row.section}: ${row.name}`);
    }
    const uploads = measured.filter((row) => !row.section.startsWith('read + hash') && !row.name.includes('hashing alone'));
    assert.ok(uploads.length >= 25, `${uploads.length} upload rows`);
    for (const row of uploads) assert.match(row.check, /^✓/, `${row.section}: ${row.name} checked no stored bytes`);
    const providers = measured.filter((row) => row.name.includes('upload through our engine')).map((row) => row.name.split(':')[0]);
    assert.deepEqual(new Set(providers), new Set(['aliyun-pds', 'huawei-koodrive', 'huawei-metastudio', 'iflytek-ost', 'tencent-cos-v4', 'tus']));
  });
});
