import type { SavedHashState } from '../core/types.js';
import type { PartPlan } from '../core/adapter.js';
import type { DigestScope, DigestSpec, HashAlgorithm } from './digest-spec.js';

/** What both sides need to know about an algorithm without loading hash-wasm. */
export interface AlgorithmTraits {
  /** Bytes per compression block; a state is only meaningful when this many bytes divide the count. */
  blockSize: number;
  /** How many uint32 words the state has. */
  stateWords: number;
  /** CRCs alone have a `decimal` encoding. */
  isCrc: boolean;
}

/** The traits of every algorithm the worker computes. */
export const ALGORITHM_TRAITS: Readonly<Record<HashAlgorithm, AlgorithmTraits>> = {
  md5: { blockSize: 64, stateWords: 4, isCrc: false },
  sha1: { blockSize: 64, stateWords: 5, isCrc: false },
  sha256: { blockSize: 64, stateWords: 8, isCrc: false },
  crc32: { blockSize: 1, stateWords: 1, isCrc: true },
  crc32c: { blockSize: 1, stateWords: 1, isCrc: true },
  crc64: { blockSize: 1, stateWords: 2, isCrc: true },
  crc64nvme: { blockSize: 1, stateWords: 2, isCrc: true },
};

const PER_PART_SCOPES: ReadonlySet<DigestScope> = new Set<DigestScope>(['part', 'state-before-part', 'state-after-part']);
const STATE_SCOPES: ReadonlySet<DigestScope> = new Set<DigestScope>(['state-before-part', 'state-after-part']);
const SCOPES: ReadonlySet<string> = new Set<DigestScope>([...PER_PART_SCOPES, 'file', 'prefix']);
const DIGEST_ENCODINGS: ReadonlySet<string> = new Set(['hex', 'hex-upper', 'base64', 'decimal']);
const STATE_ENCODINGS: ReadonlySet<string> = new Set(['state-words', 'state-hex-le']);

/** Whether a scope gives one value per part. */
export function isPerPartScope(scope: DigestScope): boolean {
  return PER_PART_SCOPES.has(scope);
}

/** Whether a scope reports the whole-file hasher's state rather than a digest. */
export function isStateScope(scope: DigestScope): boolean {
  return STATE_SCOPES.has(scope);
}

/** A half-open byte range `[start, end)`. */
export type ByteRange = readonly [start: number, end: number];

/**
 * The checked geometry of one hash job, shared by the client (to answer `digest()` calls it can never satisfy at
 * once) and the worker (to decide what to read and emit). The constructor throws a RangeError for a job the caller
 * built wrongly: that is a bug in the caller, not an upload failure.
 */
export class JobLayout {
  readonly size: number;
  readonly partSize: number;
  readonly partCount: number;
  readonly skip: ReadonlySet<number>;
  readonly specs: ReadonlyMap<string, DigestSpec>;

  constructor(size: number, plan: PartPlan, specs: readonly DigestSpec[], skipParts: Iterable<number> = []) {
    const { partSize, partCount } = plan;
    if (!Number.isSafeInteger(partSize) || partSize <= 0) throw new RangeError(`Bad part size ${partSize}.`);
    const fits =
      Number.isSafeInteger(partCount) &&
      (size === 0 ? partCount === 0 || partCount === 1 : partCount >= 1 && (partCount - 1) * partSize < size && size <= partCount * partSize);
    if (!fits) throw new RangeError(`${partCount} parts of ${partSize} bytes do not cover ${size} bytes.`);
    this.size = size;
    this.partSize = partSize;
    this.partCount = partCount;
    this.skip = new Set(skipParts);
    const byName = new Map<string, DigestSpec>();
    for (const spec of specs) {
      checkSpec(spec);
      if (byName.has(spec.name)) throw new RangeError(`Two digests are named ${spec.name}.`);
      byName.set(spec.name, spec);
    }
    this.specs = byName;
  }

  /** The first byte of part `partNumber` (1-based). */
  partStart(partNumber: number): number {
    return (partNumber - 1) * this.partSize;
  }

  /** The byte after the last byte of part `partNumber`. */
  partEnd(partNumber: number): number {
    return Math.min(partNumber * this.partSize, this.size);
  }

  /** The whole-file byte count a state-scoped value is taken at. */
  stateOffset(scope: DigestScope, partNumber: number): number {
    return scope === 'state-before-part' ? this.partStart(partNumber) : this.partEnd(partNumber);
  }

  /** Why `digest(name, partNumber)` can never resolve, or undefined when it will. */
  unavailable(name: string, partNumber?: number): string | undefined {
    const spec = this.specs.get(name);
    if (!spec) return `No digest named ${name} was requested.`;
    if (!isPerPartScope(spec.scope)) return undefined;
    if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > this.partCount) {
      return `Digest ${name} needs a part number from 1 to ${this.partCount}, not ${partNumber}.`;
    }
    if (this.skip.has(partNumber)) return `Part ${partNumber} was skipped, so it has no ${name}.`;
    if (isStateScope(spec.scope) && this.stateOffset(spec.scope, partNumber) % ALGORITHM_TRAITS[spec.algorithm].blockSize !== 0) {
      return `Part ${partNumber}'s ${name} falls inside a ${spec.algorithm} block, where the state is not defined.`;
    }
    return undefined;
  }

  /** The parts a per-part spec is computed for. */
  partsFor(spec: DigestSpec): number[] {
    const parts: number[] = [];
    for (let partNumber = 1; partNumber <= this.partCount; partNumber++) {
      if (this.unavailable(spec.name, partNumber) === undefined) parts.push(partNumber);
    }
    return parts;
  }

  /**
   * The saved state to continue `algorithm`'s whole-file hasher from: the furthest valid one that is not past any
   * state this job must still report. Anything inconsistent with this file is ignored, so the worst case is a re-read.
   */
  resumePoint(algorithm: HashAlgorithm, saved: readonly SavedHashState[]): SavedHashState | undefined {
    const { blockSize, stateWords } = ALGORITHM_TRAITS[algorithm];
    let latestAllowed = this.size;
    for (const spec of this.specs.values()) {
      if (spec.algorithm !== algorithm || !isStateScope(spec.scope)) continue;
      for (const partNumber of this.partsFor(spec)) {
        if (spec.scope === 'state-before-part' && partNumber === 1) continue;
        latestAllowed = Math.min(latestAllowed, this.stateOffset(spec.scope, partNumber));
      }
    }
    let best: SavedHashState | undefined;
    for (const state of saved) {
      const usable =
        state.algorithm === algorithm &&
        Number.isSafeInteger(state.bytes) &&
        state.bytes > 0 &&
        state.bytes <= latestAllowed &&
        state.bytes % blockSize === 0 &&
        state.words.length === stateWords &&
        state.words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff);
      if (usable && (!best || state.bytes > best.bytes)) best = state;
    }
    return best;
  }

  /** The merged ranges to read, given where the whole-file hashers start (undefined when there are none). */
  rangesToRead(wholeFileStart: number | undefined): ByteRange[] {
    const ranges: ByteRange[] = [];
    if (wholeFileStart !== undefined) ranges.push([wholeFileStart, this.size]);
    for (const spec of this.specs.values()) {
      if (spec.scope === 'prefix') ranges.push([0, Math.min(spec.prefixLength ?? 0, this.size)]);
      if (spec.scope === 'part') for (const partNumber of this.partsFor(spec)) ranges.push([this.partStart(partNumber), this.partEnd(partNumber)]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [start, end] of ranges) {
      if (end <= start) continue;
      const last = merged.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    return merged;
  }
}

function checkSpec(spec: DigestSpec): void {
  const traits = Object.hasOwn(ALGORITHM_TRAITS, spec.algorithm) ? ALGORITHM_TRAITS[spec.algorithm] : undefined;
  if (!traits) throw new RangeError(`Digest ${spec.name}: unknown algorithm ${spec.algorithm}.`);
  if (!SCOPES.has(spec.scope)) throw new RangeError(`Digest ${spec.name}: unknown scope ${spec.scope}.`);
  const encodings = isStateScope(spec.scope) ? STATE_ENCODINGS : DIGEST_ENCODINGS;
  if (!encodings.has(spec.encoding) || (spec.encoding === 'decimal' && !traits.isCrc)) {
    throw new RangeError(`Digest ${spec.name}: ${spec.algorithm} with scope ${spec.scope} cannot be written as ${spec.encoding}.`);
  }
  if (spec.scope === 'prefix' && !(Number.isSafeInteger(spec.prefixLength) && (spec.prefixLength ?? -1) >= 0)) {
    throw new RangeError(`Digest ${spec.name}: a prefix needs a prefixLength.`);
  }
}
