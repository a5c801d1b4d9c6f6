/** The part of spark-md5 3.0.2 the bench uses; the package ships no types and @types/spark-md5 is not installed. */
declare module 'spark-md5' {
  /** Incremental MD5 over ArrayBuffers, computed on the calling thread. */
  class ArrayBufferHasher {
    append(buffer: ArrayBuffer): this;
    end(raw?: false): string;
  }
  /** spark-md5's default export: only its ArrayBuffer flavour is used here. */
  const SparkMD5: { ArrayBuffer: typeof ArrayBufferHasher };
  export default SparkMD5;
}
