/**
 * The hashing worker: reads a Blob in chunks, reading ahead while the current chunk is hashed, and feeds each chunk to
 * every hasher the job needs (whole-file, per-part, prefix), posting each digest as soon as it is known. A job may
 * instead get its chunks from a second worker that only reads (`ReadJobMessage`): reading a Blob occupies the thread
 * that asked for it, so on two threads reading and hashing overlap instead of taking turns.
 */
import { rangeToRead } from '../core/blob-range.js';
import type { SavedHashState } from '../core/types.js';
import type { DigestSpec, HashAlgorithm } from './digest-spec.js';
import type { ClientMessage, ReadJobMessage, ReaderReply, ReaderRequest, StartJobMessage, WorkerMessage } from './hash-protocol.js';
import { createHasher, encodeDigest, encodeState, loadStateWords, readStateWords, type Hasher } from './hashers.js';
import { ALGORITHM_TRAITS, JobLayout, isStateScope, type ByteRange } from './job-layout.js';

/** The two members of a dedicated worker's global scope used here; tsconfig loads only the DOM lib. */
interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ClientMessage>) => void): void;
}

/** Where consumers report what they computed. */
interface Sink {
  digest(name: string, partNumber: number | undefined, value: string | number[]): void;
  state(state: SavedHashState): void;
}

/** A hasher together with the window of the file it takes bytes from. */
interface Consumer {
  /** Takes the part of `bytes` (which start at file offset `offset`) that lies in this consumer's window. */
  update(bytes: Uint8Array, offset: number): void;
  /** Emits whatever is still owed once every byte has been read. */
  finish(): void;
}

/** Chunks read beyond the one being hashed: enough to keep the read pipe busy, few enough to bound memory. */
const READ_AHEAD = 2;

/** Where a job's chunks come from, in the order of the ranges given to `begin`. */
interface ChunkSource {
  begin(ranges: readonly ByteRange[]): void;
  /** The next chunk's bytes; shorter than its range when the file shrank. */
  next(): Promise<Uint8Array>;
  /** Hands back a chunk the job is done with, so that its memory carries the next one. */
  recycle(bytes: Uint8Array): void;
  close(): void;
}

/**
 * Reads `blob` into `buffer` (at least `blob.size` bytes long) through a BYOB stream reader, and resolves with the
 * bytes read, in `buffer`'s memory. `Blob.arrayBuffer()` gives a new buffer per read, and in Chromium what a worker
 * reads that way stays resident far beyond the reads (about a GiB more over a 1 GiB file); into reused buffers it
 * stays at the few chunks in flight.
 */
async function readInto(blob: Blob, buffer: ArrayBuffer): Promise<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = blob.stream().getReader({ mode: 'byob' });
  } catch {
    // A browser whose Blob streams are not yet byte streams (the File API made them so in 2023) reads the old way.
    return new Uint8Array(await blob.arrayBuffer());
  }
  let memory = buffer;
  let filled = 0;
  try {
    while (filled < blob.size) {
      const { done, value } = await reader.read(new Uint8Array(memory, filled, blob.size - filled));
      // Each read detaches the view it was given and hands the same memory back in `value`.
      if (value === undefined) break;
      memory = value.buffer as ArrayBuffer;
      filled += value.byteLength;
      if (done) break;
    }
  } catch (error) {
    // Chromium errors a file's stream with a plain TypeError where `arrayBuffer()` names the cause; either way the
    // file could not be read.
    if (error instanceof DOMException) throw error;
    throw new DOMException(`The file could not be read: ${error instanceof Error ? error.message : String(error)}`, 'NotReadableError');
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return new Uint8Array(memory, 0, filled);
}

/** Buffers to read chunks into, kept for reuse; a chunk too large for a kept one gets a new buffer. */
class BufferPool {
  readonly #free: ArrayBuffer[] = [];

  take(size: number): ArrayBuffer {
    const index = this.#free.findIndex((buffer) => buffer.byteLength >= size);
    return index < 0 ? new ArrayBuffer(size) : this.#free.splice(index, 1)[0]!;
  }

  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength > 0) this.#free.push(buffer);
  }
}

/**
 * Reads the blob on this worker's own thread, `READ_AHEAD` chunks ahead, and, when paced, no chunk that starts at or
 * past `readTo` until `allow` moves it on.
 */
class LocalChunks implements ChunkSource {
  readonly #blob: Blob;
  readonly #wholeFile: ArrayBuffer | undefined;
  readonly #pending: Promise<Uint8Array>[] = [];
  readonly #buffers = new BufferPool();
  #ranges: readonly ByteRange[] = [];
  #issued = 0;
  #readTo: number;
  /** Wakes a `next()` that waits for `readTo` to move. */
  #wake: (() => void) | undefined;

  constructor(blob: Blob, readTo = Number.POSITIVE_INFINITY, wholeFile?: ArrayBuffer) {
    this.#blob = blob;
    this.#readTo = readTo;
    this.#wholeFile = wholeFile;
  }

  begin(ranges: readonly ByteRange[]): void {
    this.#ranges = ranges;
    this.#fill();
  }

  async next(): Promise<Uint8Array> {
    while (this.#pending.length === 0 && this.#issued < this.#ranges.length) await new Promise<void>((resolve) => (this.#wake = resolve));
    const chunk = this.#pending.shift();
    this.#fill();
    return chunk ?? Promise.reject(new Error('The hashing worker read past its ranges.'));
  }

  recycle(bytes: Uint8Array): void {
    this.#buffers.give(bytes.buffer as ArrayBuffer);
  }

  allow(readTo: number): void {
    this.#readTo = Math.max(this.#readTo, readTo);
    this.#fill();
  }

  close(): void {
    this.#issued = this.#ranges.length;
    this.#woken();
  }

  #fill(): void {
    while (this.#issued < this.#ranges.length && this.#pending.length <= READ_AHEAD && this.#ranges[this.#issued]![0] < this.#readTo) {
      const [start, end] = this.#ranges[this.#issued++]!;
      const read = this.#wholeFile
        ? Promise.resolve(new Uint8Array(this.#wholeFile, start, end - start))
        : readInto(rangeToRead(this.#blob, start, end), this.#buffers.take(end - start));
      // A read ahead may fail after the job has already stopped; it is awaited (and reported) only if reached.
      read.catch(() => undefined);
      this.#pending.push(read);
    }
    if (this.#pending.length > 0) this.#woken();
  }

  #woken(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * Takes chunks that a reading worker transfers over a port. It may send `READ_AHEAD + 2` chunks ahead of the one
 * being hashed; each hashed chunk goes back as one more chunk of credit, its buffer with it for the next read.
 */
class PeerChunks implements ChunkSource {
  readonly #port: MessagePort;
  readonly #arrived: ReaderReply[] = [];
  #waiting: ((reply: ReaderReply) => void) | undefined;

  constructor(port: MessagePort) {
    this.#port = port;
    port.onmessage = ({ data }: MessageEvent<ReaderReply>) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) waiting(data);
      else this.#arrived.push(data);
    };
  }

  begin(ranges: readonly ByteRange[]): void {
    this.#send({ type: 'ranges', ranges: ranges.map(([start, end]) => [start, end]) });
    this.#send({ type: 'credit', chunks: READ_AHEAD + 2 });
  }

  async next(): Promise<Uint8Array> {
    const reply = this.#arrived.shift() ?? (await new Promise<ReaderReply>((resolve) => (this.#waiting = resolve)));
    if (reply.type === 'failed') throw new DOMException(reply.error.message, reply.error.name);
    return new Uint8Array(reply.buffer, 0, reply.length);
  }

  recycle(bytes: Uint8Array): void {
    const buffer = bytes.buffer as ArrayBuffer;
    this.#port.postMessage({ type: 'credit', chunks: 1, buffer } satisfies ReaderRequest, [buffer]);
  }

  close(): void {
    this.#send({ type: 'stop' });
    this.#port.close();
  }

  #send(request: ReaderRequest): void {
    this.#port.postMessage(request);
  }
}

const scope = self as unknown as WorkerScope;
/** The jobs this worker hashes; `paced` is the source of a job whose reads wait for `allow` messages. */
const running = new Map<number, { canceled: boolean; paced: LocalChunks | undefined }>();

scope.addEventListener('message', ({ data: message }) => {
  switch (message.type) {
    case 'cancel': {
      const job = running.get(message.jobId);
      if (!job) return;
      job.canceled = true;
      // A paced job may be waiting for reads it will never be allowed.
      job.paced?.close();
      return;
    }
    case 'allow':
      running.get(message.jobId)?.paced?.allow(message.readTo);
      return;
    case 'read':
      void readForPeer(message);
      return;
    case 'start':
      void runJob(message);
  }
});

function describeError(error: unknown): { name: string; message: string } {
  const name = error instanceof Error || error instanceof DOMException ? error.name : 'Error';
  return { name, message: error instanceof Error ? error.message : String(error) };
}

/** The reading side of a split job: reads the ranges in order while it has credit, until the hashing side stops it. */
async function readForPeer({ blob, port }: ReadJobMessage): Promise<void> {
  let ranges: readonly ByteRange[] | undefined;
  let credit = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  const buffers = new BufferPool();
  port.onmessage = ({ data }: MessageEvent<ReaderRequest>) => {
    if (data.type === 'ranges') ranges = data.ranges;
    else if (data.type === 'credit') {
      credit += data.chunks;
      if (data.buffer) buffers.give(data.buffer);
    } else stopped = true;
    const woken = wake;
    wake = undefined;
    woken?.();
  };
  const changed = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  let index = 0;
  while (!stopped) {
    if (ranges === undefined || credit === 0 || index >= ranges.length) {
      await changed();
      continue;
    }
    const [start, end] = ranges[index++]!;
    credit--;
    try {
      const bytes = await readInto(rangeToRead(blob, start, end), buffers.take(end - start));
      const buffer = bytes.buffer as ArrayBuffer;
      if (!stopped) port.postMessage({ type: 'chunk', buffer, length: bytes.length } satisfies ReaderReply, [buffer]);
    } catch (error) {
      port.postMessage({ type: 'failed', error: describeError(error) } satisfies ReaderReply);
      index = ranges.length;
    }
  }
  port.close();
}

async function runJob(message: StartJobMessage): Promise<void> {
  const { jobId, blob, chunkSize } = message;
  const local = message.source ? undefined : new LocalChunks(blob, message.readTo, message.wholeFile);
  const source: ChunkSource = local ?? new PeerChunks(message.source!);
  const job = { canceled: false, paced: message.readTo === undefined ? undefined : local };
  running.set(jobId, job);
  const sink: Sink = {
    digest: (name, partNumber, value) => scope.postMessage({ type: 'digest', jobId, name, partNumber, value }),
    state: (state) => scope.postMessage({ type: 'state', jobId, state }),
  };
  try {
    const layout = new JobLayout(blob.size, message.plan, message.specs, message.skipParts);
    const { consumers, wholeFileStart } = await buildConsumers(layout, message.resumeFrom, sink);
    const chunks = splitRanges(layout.rangesToRead(wholeFileStart), chunkSize);
    const bytesTotal = chunks.reduce((sum, [start, end]) => sum + end - start, 0);
    source.begin(chunks);
    let bytesHashed = 0;
    for (const [start, end] of chunks) {
      const bytes = await source.next();
      if (job.canceled) return;
      if (bytes.length !== end - start) throw new DOMException('The file is shorter than when the upload began.', 'NotReadableError');
      for (const consumer of consumers) consumer.update(bytes, start);
      bytesHashed += bytes.length;
      source.recycle(bytes);
      scope.postMessage({ type: 'progress', jobId, bytesHashed, bytesTotal });
    }
    if (job.canceled) return;
    for (const consumer of consumers) consumer.finish();
    scope.postMessage({ type: 'done', jobId });
  } catch (error) {
    if (job.canceled) return;
    scope.postMessage({ type: 'failed', jobId, error: describeError(error) });
  } finally {
    running.delete(jobId);
    source.close();
  }
}

function splitRanges(ranges: readonly ByteRange[], chunkSize: number): ByteRange[] {
  const chunks: ByteRange[] = [];
  for (const [start, end] of ranges) {
    for (let offset = start; offset < end; offset += chunkSize) chunks.push([offset, Math.min(offset + chunkSize, end)]);
  }
  return chunks;
}

function groupBy<K>(specs: Iterable<DigestSpec>, keyOf: (spec: DigestSpec) => K | undefined): Map<K, DigestSpec[]> {
  const groups = new Map<K, DigestSpec[]>();
  for (const spec of specs) {
    const key = keyOf(spec);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(spec);
    else groups.set(key, [spec]);
  }
  return groups;
}

async function buildConsumers(
  layout: JobLayout,
  resumeFrom: readonly SavedHashState[],
  sink: Sink,
): Promise<{ consumers: Consumer[]; wholeFileStart: number | undefined }> {
  const specs = [...layout.specs.values()];
  const consumers: Consumer[] = [];
  let wholeFileStart: number | undefined;
  const wholeFile = groupBy(specs, (spec) => (spec.scope === 'file' || isStateScope(spec.scope) ? spec.algorithm : undefined));
  for (const [algorithm, group] of wholeFile) {
    const hasher = await createHasher(algorithm);
    const resume = layout.resumePoint(algorithm, resumeFrom);
    if (resume) {
      loadStateWords(hasher, resume);
      sink.state({ algorithm, bytes: resume.bytes, words: [...resume.words] });
    }
    const start = resume?.bytes ?? 0;
    wholeFileStart = Math.min(wholeFileStart ?? start, start);
    consumers.push(new WholeFileConsumer(layout, algorithm, hasher, group, start, sink));
  }
  const prefixes = groupBy(specs, (spec) => (spec.scope === 'prefix' ? `${spec.algorithm}:${spec.prefixLength}` : undefined));
  for (const group of prefixes.values()) {
    const { algorithm, prefixLength = 0 } = group[0]!;
    consumers.push(new PrefixConsumer(await createHasher(algorithm), group, Math.min(prefixLength, layout.size), sink));
  }
  const perPart = groupBy(specs, (spec) => (spec.scope === 'part' ? spec.algorithm : undefined));
  for (const [algorithm, group] of perPart) consumers.push(new PartConsumer(layout, await createHasher(algorithm), group, sink));
  return { consumers, wholeFileStart };
}

/** The whole-file hasher of one algorithm: the `file` digest, and the states at part boundaries. */
class WholeFileConsumer implements Consumer {
  readonly #layout: JobLayout;
  readonly #algorithm: HashAlgorithm;
  readonly #hasher: Hasher;
  readonly #specs: readonly DigestSpec[];
  readonly #sink: Sink;
  #position: number;
  /** The part whose end is the next boundary to report. */
  #nextPart = 1;

  constructor(layout: JobLayout, algorithm: HashAlgorithm, hasher: Hasher, specs: readonly DigestSpec[], start: number, sink: Sink) {
    this.#layout = layout;
    this.#algorithm = algorithm;
    this.#hasher = hasher;
    this.#specs = specs;
    this.#sink = sink;
    this.#position = start;
    // Part 1 has no bytes before it; Aliyun PDS's SDK sends `h: []` for it, so the empty state is reported as such.
    for (const spec of specs) {
      if (spec.scope === 'state-before-part' && layout.unavailable(spec.name, 1) === undefined) sink.digest(spec.name, 1, encodeState([], spec.encoding));
    }
    while (this.#nextPart <= layout.partCount && layout.partEnd(this.#nextPart) < start) this.#nextPart++;
    this.#reportBoundaries();
  }

  update(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    if (end <= this.#position) return;
    if (offset > this.#position) throw new Error(`The whole-file ${this.#algorithm} hasher missed bytes ${this.#position}–${offset}.`);
    let rest = bytes.subarray(this.#position - offset);
    while (rest.length > 0) {
      const boundary = this.#nextPart <= this.#layout.partCount ? this.#layout.partEnd(this.#nextPart) : this.#layout.size;
      const take = Math.min(rest.length, boundary - this.#position);
      if (take <= 0) throw new Error(`The whole-file ${this.#algorithm} hasher got bytes past the end of the file.`);
      this.#hasher.update(rest.subarray(0, take));
      this.#position += take;
      rest = rest.subarray(take);
      this.#reportBoundaries();
    }
  }

  finish(): void {
    if (this.#position !== this.#layout.size) throw new Error(`The whole-file ${this.#algorithm} hasher stopped at byte ${this.#position}.`);
    const digest = this.#hasher.digest('binary');
    for (const spec of this.#specs) if (spec.scope === 'file') this.#sink.digest(spec.name, undefined, encodeDigest(digest, spec.encoding));
  }

  #reportBoundaries(): void {
    const layout = this.#layout;
    while (this.#nextPart <= layout.partCount && layout.partEnd(this.#nextPart) === this.#position) {
      const partNumber = this.#nextPart++;
      if (this.#position % ALGORITHM_TRAITS[this.#algorithm].blockSize !== 0) continue;
      const words = readStateWords(this.#algorithm, this.#hasher);
      this.#sink.state({ algorithm: this.#algorithm, bytes: this.#position, words });
      for (const spec of this.#specs) {
        const target = spec.scope === 'state-after-part' ? partNumber : spec.scope === 'state-before-part' ? partNumber + 1 : 0;
        if (target >= 1 && target <= layout.partCount && layout.unavailable(spec.name, target) === undefined) {
          this.#sink.digest(spec.name, target, encodeState(words, spec.encoding));
        }
      }
    }
  }
}

/** One algorithm over the first `end` bytes. */
class PrefixConsumer implements Consumer {
  readonly #hasher: Hasher;
  readonly #specs: readonly DigestSpec[];
  readonly #end: number;
  readonly #sink: Sink;
  #position = 0;
  #done = false;

  constructor(hasher: Hasher, specs: readonly DigestSpec[], end: number, sink: Sink) {
    this.#hasher = hasher;
    this.#specs = specs;
    this.#end = end;
    this.#sink = sink;
  }

  update(bytes: Uint8Array, offset: number): void {
    if (this.#done || offset > this.#position || offset + bytes.length <= this.#position) return;
    const take = bytes.subarray(this.#position - offset, Math.min(bytes.length, this.#end - offset));
    this.#hasher.update(take);
    this.#position += take.length;
    if (this.#position === this.#end) this.finish();
  }

  finish(): void {
    if (this.#done) return;
    if (this.#position !== this.#end) throw new Error(`The prefix hasher stopped at byte ${this.#position} of ${this.#end}.`);
    this.#done = true;
    const digest = this.#hasher.digest('binary');
    for (const spec of this.#specs) this.#sink.digest(spec.name, undefined, encodeDigest(digest, spec.encoding));
  }
}

/** One algorithm over each part on its own, for the parts not skipped. */
class PartConsumer implements Consumer {
  readonly #layout: JobLayout;
  readonly #hasher: Hasher;
  readonly #specs: readonly DigestSpec[];
  readonly #sink: Sink;
  readonly #pending: Set<number>;
  #current: number | undefined;

  constructor(layout: JobLayout, hasher: Hasher, specs: readonly DigestSpec[], sink: Sink) {
    this.#layout = layout;
    this.#hasher = hasher;
    this.#specs = specs;
    this.#sink = sink;
    // Skipping is per part, not per name, so every spec of the group covers the same parts.
    this.#pending = new Set(layout.partsFor(specs[0]!));
  }

  update(bytes: Uint8Array, offset: number): void {
    const layout = this.#layout;
    const end = offset + bytes.length;
    for (let partNumber = Math.floor(offset / layout.partSize) + 1; partNumber <= layout.partCount && layout.partStart(partNumber) < end; partNumber++) {
      if (!this.#pending.has(partNumber)) continue;
      const from = Math.max(offset, layout.partStart(partNumber));
      const to = Math.min(end, layout.partEnd(partNumber));
      if (this.#current !== partNumber) {
        if (from !== layout.partStart(partNumber)) throw new Error(`Part ${partNumber} was not read from its start.`);
        this.#hasher.init();
        this.#current = partNumber;
      }
      this.#hasher.update(bytes.subarray(from - offset, to - offset));
      if (to === layout.partEnd(partNumber)) this.#emit(partNumber);
    }
  }

  finish(): void {
    // Only an empty part (the one part of an empty file) is still pending here.
    for (const partNumber of this.#pending) {
      if (this.#layout.partEnd(partNumber) > this.#layout.partStart(partNumber)) throw new Error(`Part ${partNumber} was never read.`);
      this.#hasher.init();
      this.#emit(partNumber);
    }
  }

  #emit(partNumber: number): void {
    const digest = this.#hasher.digest('binary');
    this.#pending.delete(partNumber);
    this.#current = undefined;
    for (const spec of this.#specs) this.#sink.digest(spec.name, partNumber, encodeDigest(digest, spec.encoding));
  }
}
