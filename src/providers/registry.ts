import type { ProviderAdapter } from '../core/adapter.js';
import type { S3AdapterOptions } from './s3.js';
import type { MetaStudioAdapterOptions } from './huawei-metastudio.js';
import type { IflytekOstAdapterOptions } from './iflytek-ost.js';
import type { AliyunPdsAdapterOptions } from './aliyun-pds.js';
import type { TusAdapterOptions } from './tus.js';
import type { TencentCosV4AdapterOptions } from './tencent-cos-v4.js';
import type { KooDriveAdapterOptions } from './huawei-koodrive.js';

/** Options every adapter takes from the element's attributes, plus provider-specific ones. */
export interface AdapterOptions {
  endpoint?: string;
  [option: string]: unknown;
}

/** Builds an adapter from the element's options. */
export type ProviderFactory = (options: AdapterOptions) => ProviderAdapter;

// One line per provider. Each is imported only when a page names it, so a page pays for the providers it uses.
const builtIn = new Map<string, () => Promise<ProviderFactory>>([
  ['s3', async () => {
    const { createS3Adapter } = await import('./s3.js');
    return (options) => createS3Adapter(options as S3AdapterOptions);
  }],
  ['huawei-metastudio', async () => {
    const { createMetaStudioAdapter } = await import('./huawei-metastudio.js');
    return (options) => createMetaStudioAdapter(options as MetaStudioAdapterOptions);
  }],
  ['iflytek-ost', async () => {
    const { createIflytekOstAdapter } = await import('./iflytek-ost.js');
    return (options) => createIflytekOstAdapter(options as IflytekOstAdapterOptions);
  }],
  ['aliyun-pds', async () => {
    const { createAliyunPdsAdapter } = await import('./aliyun-pds.js');
    return (options) => createAliyunPdsAdapter(options as AliyunPdsAdapterOptions);
  }],
  ['tus', async () => {
    const { createTusAdapter } = await import('./tus.js');
    return (options) => createTusAdapter(options as TusAdapterOptions);
  }],
  ['tencent-cos-v4', async () => {
    const { createTencentCosV4Adapter } = await import('./tencent-cos-v4.js');
    return (options) => createTencentCosV4Adapter(options as TencentCosV4AdapterOptions);
  }],
  ['huawei-koodrive', async () => {
    const { createKooDriveAdapter } = await import('./huawei-koodrive.js');
    return (options) => createKooDriveAdapter(options as KooDriveAdapterOptions);
  }],
]);

const ready = new Map<string, ProviderFactory>();
const loading = new Map<string, Promise<ProviderFactory>>();

function unknownProvider(name: string): Error {
  return new Error(`Unknown provider "${name}". Known: ${providerNames().join(', ')}.`);
}

/** Loads the provider registered under `name` (its module is fetched once, on first use) and returns its factory. */
export function loadProvider(name: string): Promise<ProviderFactory> {
  const factory = ready.get(name);
  if (factory) return Promise.resolve(factory);
  const load = builtIn.get(name);
  if (!load) return Promise.reject(unknownProvider(name));
  let pending = loading.get(name);
  if (!pending) {
    pending = load().then(
      (loaded) => {
        if (!ready.has(name)) ready.set(name, loaded);
        return ready.get(name)!;
      },
      (error: unknown) => {
        // A failed fetch of the provider's chunk (offline, a deploy in between) may work on the next try.
        loading.delete(name);
        throw error;
      },
    );
    loading.set(name, pending);
  }
  return pending;
}

/** The factory of `name` when it is registered or already loaded; undefined while it still has to be loaded. */
export function loadedProvider(name: string): ProviderFactory | undefined {
  return ready.get(name);
}

/** Builds the adapter registered under `name`, loading the provider's module first when needed. */
export async function createAdapter(name: string, options: AdapterOptions = {}): Promise<ProviderAdapter> {
  return (await loadProvider(name))(options);
}

/** The names `createAdapter` knows. */
export function providerNames(): string[] {
  return [...new Set([...builtIn.keys(), ...ready.keys()])];
}

/** Adds a provider under a name; a user's own adapter can be registered too, and wins over a built-in one. */
export function registerProvider(name: string, factory: ProviderFactory): void {
  ready.set(name, factory);
}
