import { crc32, crc64, md5, sha1, sha256 } from 'hash-wasm';

/** The `x-amz-checksum-*` algorithms S3 verifies, by header suffix. */
export const S3_CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;

/** One of {@link S3_CHECKSUM_ALGORITHMS}. */
export type S3ChecksumAlgorithm = (typeof S3_CHECKSUM_ALGORITHMS)[number];

/** Digest length in bytes of each algorithm, to tell a malformed header from a mismatching one. */
export const S3_CHECKSUM_BYTES: Record<S3ChecksumAlgorithm, number> = {
  crc32: 4,
  crc32c: 4,
  crc64nvme: 8,
  sha1: 20,
  sha256: 32,
};

/** How S3 names each algorithm in its messages and in ListParts (`ChecksumCRC32`). */
export const S3_CHECKSUM_NAMES: Record<S3ChecksumAlgorithm, string> = {
  crc32: 'CRC32',
  crc32c: 'CRC32C',
  crc64nvme: 'CRC64NVME',
  sha1: 'SHA1',
  sha256: 'SHA256',
};

/** Castagnoli, reflected, as hash-wasm's createCRC32 takes it. */
const CRC32C_POLYNOMIAL = 0x82f63b78;
/** The NVMe CRC-64 polynomial, reflected, as hash-wasm's crc64 takes it. */
const CRC64NVME_POLYNOMIAL = '9a6c9329ac4bc9b5';

/** Base64 of bytes, without Node's Buffer so it runs in a page too. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Bytes of Base64 text, or `undefined` when it is not Base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Bytes of lower- or upper-case hex. */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The lower-case hex MD5 of bytes. */
export function md5Hex(bytes: Uint8Array): Promise<string> {
  return md5(bytes);
}

/** The checksum S3 would compute for bytes, Base64 of the big-endian digest as in `x-amz-checksum-*`. */
export async function s3Checksum(algorithm: S3ChecksumAlgorithm, bytes: Uint8Array): Promise<string> {
  const hex = await {
    crc32: () => crc32(bytes),
    crc32c: () => crc32(bytes, CRC32C_POLYNOMIAL),
    crc64nvme: () => crc64(bytes, CRC64NVME_POLYNOMIAL),
    sha1: () => sha1(bytes),
    sha256: () => sha256(bytes),
  }[algorithm]();
  return bytesToBase64(hexToBytes(hex));
}

/** Joins byte arrays into one. */
export function concatBytes(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
