import { expect } from '@open-wc/testing';
import { partAt, planParts } from '../../../src/core/part-plan.js';
import { S3_LIMITS } from '../../../src/providers/s3.js';
import type { UploadError } from '../../../src/core/errors.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function thrown(fn: () => unknown): UploadError {
  try {
    fn();
  } catch (error) {
    return error as UploadError;
  }
  throw new Error('expected a throw');
}

describe('planParts', () => {
  it('clamps a requested part size into the provider limits', () => {
    expect(planParts(100 * MiB, S3_LIMITS, 1 * MiB).partSize).to.equal(5 * MiB);
    expect(planParts(100 * MiB, S3_LIMITS, 10 * GiB).partSize).to.equal(5 * GiB);
  });
  it('grows the part size rather than exceed the part count', () => {
    const plan = planParts(100 * GiB, S3_LIMITS, 5 * MiB);
    expect(plan.partCount).to.be.at.most(10_000);
    expect(plan.partSize * plan.partCount).to.be.at.least(100 * GiB);
  });
  it('refuses a file over the maximum object size', () => {
    expect(thrown(() => planParts(6 * 1024 * GiB, S3_LIMITS)).code).to.equal('file-too-large');
  });
  it('refuses a file needing too many parts even at the largest part size', () => {
    const limits = { ...S3_LIMITS, maxParts: 2, maxPartSize: 10 * MiB, maxFileSize: Number.MAX_SAFE_INTEGER };
    expect(thrown(() => planParts(100 * MiB, limits)).code).to.equal('too-many-parts');
  });
  it('refuses an empty file only where the provider cannot store one', () => {
    expect(planParts(0, S3_LIMITS).partCount).to.equal(1);
    expect(thrown(() => planParts(0, { ...S3_LIMITS, allowsEmptyFile: false })).code).to.equal('file-empty');
  });
  it('rounds part sizes up to the required multiple', () => {
    expect(planParts(1 * MiB, { ...S3_LIMITS, minPartSize: 1, partSizeMultiple: 64 }, 1000).partSize).to.equal(1024);
    expect(planParts(10 * MiB, { ...S3_LIMITS, minPartSize: 1, partSizeMultiple: 64 }, 1000).partSize).to.equal(1088);
  });
  it('slices the last part short', () => {
    const blob = new Blob([new Uint8Array(12)]);
    const plan = { partSize: 5, partCount: 3 };
    expect([1, 2, 3].map((n) => partAt(blob, plan, n).size)).to.deep.equal([5, 5, 2]);
    expect(partAt(blob, plan, 3).offset).to.equal(10);
  });
  it('gives a file that is one part as itself, which Chromium sends from disk without the blob registry', () => {
    const file = new File([new Uint8Array(12)], 'a.bin');
    expect(partAt(file, { partSize: 12, partCount: 1 }, 1).blob).to.equal(file);
    expect(partAt(file, { partSize: 5, partCount: 3 }, 1).blob).not.to.equal(file);
  });
});

describe('partSize', () => {
  it('gives each part its size without slicing, the last one short', async () => {
    const { partSize } = await import('../../../src/core/part-plan.js');
    const plan = { partSize: 5, partCount: 3 };
    expect([1, 2, 3].map((n) => partSize(plan, 12, n))).to.deep.equal([5, 5, 2]);
    expect(partSize({ partSize: 1, partCount: 1 }, 0, 1)).to.equal(0);
  });
});
