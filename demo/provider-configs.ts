import type { AdapterOptions } from '../src/providers/registry.js';

/**
 * How the demo points each provider at the local emulator server (`npm run demo` proxies `/api`, `/emulator` and
 * `/__admin` to it). A provider's backend handler lives at `/api/<id>` unless it talks to the provider directly,
 * in which case its emulator is at `/emulator/<id>`. One entry per provider.
 */
export const demoProviderConfigs: Record<string, { endpoint: string; adapterOptions?: AdapterOptions }> = {
  s3: { endpoint: '/api' },
  'iflytek-ost': { endpoint: '/api/iflytek-ost' },
};
