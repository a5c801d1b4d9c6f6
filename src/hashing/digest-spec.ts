/** Hash algorithms the worker computes, each backed by hash-wasm. */
export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'crc32' | 'crc32c' | 'crc64' | 'crc64nvme';

/**
 * How a digest is written.
 * - `hex` / `hex-upper`: the digest bytes as lower / upper case hex.
 * - `base64`: the digest bytes in Base64 (Content-MD5, x-amz-checksum-*).
 * - `decimal`: a CRC as an unsigned decimal string.
 * - `state-words`: the algorithm's internal state words (H0..Hn) as unsigned 32-bit integers, not a digest.
 * - `state-hex-le`: those state words, each as its 4 little-endian bytes in hex.
 */
export type DigestEncoding = 'hex' | 'hex-upper' | 'base64' | 'decimal' | 'state-words' | 'state-hex-le';

/**
 * What part of the file a digest covers.
 * - `file`: the whole file.
 * - `part`: each part on its own.
 * - `prefix`: the first `prefixLength` bytes (or the whole file if shorter).
 * - `state-before-part`: the whole-file hasher's state after every byte before the part (parallel SHA contexts).
 * - `state-after-part`: the same after every byte up to the part's end.
 */
export type DigestScope = 'file' | 'part' | 'prefix' | 'state-before-part' | 'state-after-part';

/** When the adapter needs the digest; the engine orders hashing and requests to match. */
export type DigestMoment = 'before-create' | 'before-part' | 'before-complete';

/** One digest an adapter asks for. */
export interface DigestSpec {
  /** The name the adapter reads it back under. */
  name: string;
  algorithm: HashAlgorithm;
  encoding: DigestEncoding;
  scope: DigestScope;
  when: DigestMoment;
  /** For `prefix`: how many leading bytes. */
  prefixLength?: number;
}

