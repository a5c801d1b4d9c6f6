/**
 * Takes the Web Lock named after a file's fingerprint without waiting, so that two tabs resuming the same file do not
 * both upload it. Resolves with a release function, or null when another tab holds it. Browsers without Web Locks
 * get a no-op lock.
 */
export function tryLockFile(fingerprint: string): Promise<(() => void) | null> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    void locks.request(`multi-cloud-uploader:${fingerprint}`, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise<void>((release) => resolve(() => release()));
    });
  });
}
