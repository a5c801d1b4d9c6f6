import type { ProviderAdapter } from '../core/adapter.js';
import { createS3Adapter } from './s3.js';
import type { S3AdapterOptions } from './s3.js';
import { createMetaStudioAdapter } from './huawei-metastudio.js';
import type { MetaStudioAdapterOptions } from './huawei-metastudio.js';
import { createIflytekOstAdapter } from './iflytek-ost.js';
import type { IflytekOstAdapterOptions } from './iflytek-ost.js';
import { createAliyunPdsAdapter } from './aliyun-pds.js';
import type { AliyunPdsAdapterOptions } from './aliyun-pds.js';
import { createTusAdapter } from './tus.js';
import type { TusAdapterOptions } from './tus.js';
import { createTencentCosV4Adapter } from './tencent-cos-v4.js';
import type { TencentCosV4AdapterOptions } from './tencent-cos-v4.js';
import { createKooDriveAdapter } from './huawei-koodrive.js';
import type { KooDriveAdapterOptions } from './huawei-koodrive.js';

/** Options every adapter takes from the element's attributes, plus provider-specific ones. */
export interface AdapterOptions {
  endpoint?: string;
  [option: string]: unknown;
}

type Factory = (options: AdapterOptions) => ProviderAdapter;

// One line per provider.
const factories = new Map<string, Factory>([
  ['s3', (options) => createS3Adapter(options as S3AdapterOptions)],
  ['huawei-metastudio', (options) => createMetaStudioAdapter(options as MetaStudioAdapterOptions)],
  ['iflytek-ost', (options) => createIflytekOstAdapter(options as IflytekOstAdapterOptions)],
  ['aliyun-pds', (options) => createAliyunPdsAdapter(options as AliyunPdsAdapterOptions)],
  ['tus', (options) => createTusAdapter(options as TusAdapterOptions)],
  ['tencent-cos-v4', (options) => createTencentCosV4Adapter(options as TencentCosV4AdapterOptions)],
  ['huawei-koodrive', (options) => createKooDriveAdapter(options as KooDriveAdapterOptions)],
]);

/** Builds the adapter registered under `name`. */
export function createAdapter(name: string, options: AdapterOptions = {}): ProviderAdapter {
  const factory = factories.get(name);
  if (!factory) throw new Error(`Unknown provider "${name}". Known: ${providerNames().join(', ')}.`);
  return factory(options);
}

/** The names `createAdapter` knows. */
export function providerNames(): string[] {
  return [...factories.keys()];
}

/** Adds a provider under a name; a user's own adapter can be registered too. */
export function registerProvider(name: string, factory: Factory): void {
  factories.set(name, factory);
}
