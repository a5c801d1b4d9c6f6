/**
 * What the fault soak knows per provider: how the element is set up for it, which faults its emulator can inject on
 * which operations, where the stored bytes are read back, and how many part bytes the store took more than once.
 */
const MiB = 1024 * 1024;

/** A fault as the admin route takes it (`POST /__admin/<id>/faults`). */
export type FaultSpec = Record<string, unknown> & { kind: string };

/** The fault kinds the soak draws, as counted in its table. */
export const SOAK_FAULT_KINDS = ['5xx', '5xx+Retry-After', 'drop', 'delay', 'stall', 'expire', 'session', 'store-drop'] as const;
export type SoakFaultKind = (typeof SOAK_FAULT_KINDS)[number];

/** A drawn fault: what the table counts it as, and what the admin route arms. */
export interface DrawnFault {
  kind: SoakFaultKind;
  spec: FaultSpec;
  /** Whether the fault lands on a request carrying part bytes (so its part is sent again by design). */
  onPart: boolean;
}

/** The upload as the driver saw it, for the provider's own checks. */
export interface RunFacts {
  size: number;
  partSize: number;
  partCount: number;
  result: Record<string, unknown>;
  /** The emulator's `GET stats` after the run. */
  stats: Record<string, unknown>;
}

export interface SoakProvider {
  id: string;
  /** The part size the upload is planned with. */
  partSize: number;
  /** Whether the element is told `partSize`; providers with one fixed size (or one PUT) plan it themselves. */
  setsPartSize: boolean;
  /** Whether the provider stores a 0-byte file; if not, the element must refuse one with a typed error. */
  allowsEmptyFile: boolean;
  /** Sizes worth drawing beyond the part boundaries, such as the single-request threshold and its neighbours. */
  edges: number[];
  /** Adapter options on top of the demo's. */
  extra: Record<string, unknown>;
  /** The operation that carries part bytes (a single PUT when `single` says so). */
  partOperation: string;
  /** The operation of a file sent as one request, when the provider has one. */
  singleOperation?: (size: number, partSize: number) => string | undefined;
  /** Operations without part bytes that may fail or be held. */
  controlOperations: string[];
  /** Fault kinds this emulator can inject. */
  kinds: readonly SoakFaultKind[];
  /** Fault kinds after which the store no longer has the session, so a typed error (then a retry) is warranted. */
  sessionEnding: readonly SoakFaultKind[];
  /** A fault that ends the session on the store, for providers whose emulator can fake one. */
  sessionLoss?: (partNumber: number) => FaultSpec;
  /** Whether part faults name their part number (default); tus's partial uploads are not numbered on the wire. */
  partNumbered?: boolean;
  /** The admin path that returns the stored bytes for this result. */
  storedPath(result: Record<string, unknown>): string | undefined;
  /** Part bytes the store received more than once (a part stored twice, a single PUT stored twice). */
  resentBytes(facts: RunFacts): number;
}

/** The bytes one request in flight carries: the whole file when it goes up in one request, else one part. */
function requestBytes(provider: SoakProvider, size: number): number {
  return provider.singleOperation?.(size, provider.partSize) ? size : provider.partSize;
}

/**
 * What resuming may send again: every request in flight at each stop (reload, pause, offline), and each request a
 * fault broke. More than that is a loss of work the issue counts as a failure.
 */
export function resendAllowance(provider: SoakProvider, size: number, stops: number, partFaults: number, concurrency: number): number {
  const requests = provider.singleOperation?.(size, provider.partSize) ? 1 : Math.min(concurrency, Math.ceil(size / provider.partSize));
  return (stops * requests + partFaults) * requestBytes(provider, size);
}

function resentParts(facts: RunFacts, numbers: unknown): number {
  if (!Array.isArray(numbers)) return 0;
  const seen = new Set<number>();
  let bytes = 0;
  for (const partNumber of numbers as number[]) {
    if (seen.has(partNumber)) bytes += partNumber === facts.partCount ? facts.size - facts.partSize * (facts.partCount - 1) : facts.partSize;
    seen.add(partNumber);
  }
  return bytes;
}

export const SOAK_PROVIDERS: SoakProvider[] = [
  {
    id: 's3',
    partSize: 5 * MiB,
    setsPartSize: true,
    allowsEmptyFile: true,
    edges: [],
    extra: {},
    partOperation: 'UploadPart',
    // A file of one part goes up as a form under a POST policy (the adapter's default with Content-MD5).
    singleOperation: (size, partSize) => (size <= partSize ? 'PostObject' : undefined),
    controlOperations: ['CreateMultipartUpload', 'CompleteMultipartUpload'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // An expired presigned URL is signed again.
    // The store forgets the upload (lose-session): the engine starts over with a warning.
    sessionEnding: ['session'],
    sessionLoss: (partNumber) => ({ kind: 'lose-session', operation: 'UploadPart', partNumber }),
    storedPath: (result) => (typeof result['key'] === 'string' ? `s3/objects/${encodeURIComponent(result['key'])}` : undefined),
    resentBytes: (facts) =>
      resentParts(facts, facts.stats['partNumbersReceived']) +
      Math.max(0, Number(facts.stats['postObject'] ?? 0) + Number(facts.stats['putObject'] ?? 0) - 1) * facts.size,
  },
  {
    id: 'tus',
    partSize: 5 * MiB,
    setsPartSize: true,
    allowsEmptyFile: true,
    edges: [],
    extra: { checksum: 'none' },
    partOperation: 'Patch',
    controlOperations: ['Create', 'Head'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // The tus emulator's `expire` is the upload's own expiry (tus Expiration), not a URL's: the server drops it.
    partNumbered: false,
    sessionEnding: ['expire', 'session'],
    // tus answers 404 for an upload the server no longer has; the client has to start over.
    sessionLoss: () => ({ kind: 'fail', operation: 'Patch', status: 404 }),
    storedPath: (result) => (typeof result['fileId'] === 'string' ? `tus/files/${encodeURIComponent(result['fileId'])}` : undefined),
    resentBytes: (facts) => Math.max(0, Number(facts.stats['bytesReceived'] ?? 0) - facts.size),
  },
  {
    id: 'aliyun-pds',
    partSize: 5 * MiB,
    setsPartSize: true,
    allowsEmptyFile: true,
    edges: [],
    // Every run uploads fresh bytes, but a run retried by the soak must send them, not match them by hash.
    extra: { rapidUpload: false },
    partOperation: 'UploadPart',
    controlOperations: ['CreateFile', 'GetUploadUrl', 'ListUploadedParts', 'CompleteFile'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // `expire` is a part URL's or the Bearer token's: the adapter asks for new ones.
    // The store forgets the upload (lose-session): the engine starts over with a warning.
    sessionEnding: ['session'],
    sessionLoss: (partNumber) => ({ kind: 'lose-session', operation: 'UploadPart', partNumber }),
    storedPath: (result) => (typeof result['fileId'] === 'string' ? `aliyun-pds/files/${encodeURIComponent(result['fileId'])}` : undefined),
    resentBytes: (facts) => resentParts(facts, facts.stats['partNumbersReceived']),
  },
  {
    id: 'huawei-koodrive',
    partSize: 5 * MiB,
    setsPartSize: true,
    allowsEmptyFile: true,
    edges: [],
    extra: { rapidUpload: false },
    partOperation: 'UploadPart',
    controlOperations: ['CreateFile', 'UploadUrl', 'Complete'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // The store forgets the upload (lose-session): the engine starts over with a warning.
    sessionEnding: ['session'],
    sessionLoss: (partNumber) => ({ kind: 'lose-session', operation: 'UploadPart', partNumber }),
    storedPath: (result) => (typeof result['fileId'] === 'string' ? `huawei-koodrive/files/${encodeURIComponent(result['fileId'])}` : undefined),
    resentBytes: (facts) => resentParts(facts, facts.stats['partNumbersReceived']),
  },
  {
    id: 'iflytek-ost',
    partSize: 5 * MiB,
    setsPartSize: true,
    allowsEmptyFile: false,
    // The adapter sends files up to 20 MiB with one /file/upload.
    edges: [20 * MiB - 1, 20 * MiB, 20 * MiB + 1],
    extra: {},
    partOperation: 'UploadPart',
    singleOperation: (size) => (size <= 20 * MiB ? 'FileUpload' : undefined),
    controlOperations: ['Init', 'Complete'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // `expire` is the request signature's clock check: the proxy signs again.
    // The store forgets the upload (lose-session): the engine starts over with a warning.
    sessionEnding: ['session'],
    sessionLoss: (partNumber) => ({ kind: 'lose-session', operation: 'UploadPart', partNumber }),
    storedPath: (result) => (typeof result['url'] === 'string' ? `iflytek-ost/files/${result['url'].split('/').pop()}` : undefined),
    resentBytes: (facts) =>
      resentParts(facts, facts.stats['sliceIdsReceived']) + Math.max(0, Number(facts.stats['single'] ?? 0) - 1) * facts.size,
  },
  {
    id: 'tencent-cos-v4',
    // The adapter's slice size (1 MiB unless configured) is the only part size the v4 API takes.
    partSize: MiB,
    setsPartSize: false,
    allowsEmptyFile: true,
    // Files up to 20 MiB go up with one `op=upload`.
    edges: [20 * MiB - 1, 20 * MiB, 20 * MiB + 1],
    extra: {},
    partOperation: 'upload_slice_data',
    singleOperation: (size) => (size <= 20 * MiB ? 'upload' : undefined),
    controlOperations: ['upload_slice_init', 'upload_slice_list', 'upload_slice_finish'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // The store forgets the upload (lose-session): the engine starts over with a warning.
    sessionEnding: ['session'],
    sessionLoss: (partNumber) => ({ kind: 'lose-session', operation: 'upload_slice_data', partNumber }),
    storedPath: (result) => (typeof result['key'] === 'string' ? `tencent-cos-v4/objects/${encodeURIComponent(result['key'])}` : undefined),
    resentBytes: (facts) => resentParts(facts, facts.stats['partNumbersReceived']) + Math.max(0, Number(facts.stats['upload'] ?? 0) - 1) * facts.size,
  },
  {
    id: 'huawei-metastudio',
    // One PUT of the whole file; the part size only places the drawn sizes.
    partSize: 5 * MiB,
    setsPartSize: false,
    allowsEmptyFile: false,
    edges: [],
    extra: {},
    partOperation: 'PutObject',
    singleOperation: () => 'PutObject',
    controlOperations: ['CreateDigitalAsset', 'CreateFile', 'ConfirmFileUpload'],
    kinds: ['5xx', '5xx+Retry-After', 'drop', 'delay', 'expire', 'session', 'store-drop'],
    // The store forgets the upload (lose-session): the engine starts over with a warning.
    sessionEnding: ['session'],
    sessionLoss: () => ({ kind: 'lose-session', operation: 'PutObject' }),
    storedPath: (result) => (typeof result['fileId'] === 'string' ? `huawei-metastudio/objects/${encodeURIComponent(result['fileId'])}` : undefined),
    resentBytes: (facts) => Math.max(0, Number(facts.stats['putObject'] ?? 0) - 1) * facts.size,
  },
];
