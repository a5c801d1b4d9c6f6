import type { AdapterOptions } from '../src/providers/registry.js';

/**
 * How the demo points each provider at the local emulator server (`npm run demo` proxies `/api`, `/emulator` and
 * `/__admin` to it). A provider's backend handler lives at `/api/<id>` unless it talks to the provider directly,
 * in which case its emulator is at `/emulator/<id>`. One entry per provider.
 */
export const demoProviderConfigs: Record<string, { endpoint: string; adapterOptions?: AdapterOptions }> = {
  s3: { endpoint: '/api' },
  'huawei-koodrive': { endpoint: '/api/huawei-koodrive' },
  // The handler signs MetaStudio's calls and proxies the PUT; each file becomes its own asset.
  'huawei-metastudio': { endpoint: '/api/huawei-metastudio' },
  'aliyun-pds': {
    endpoint: '/emulator/aliyun-pds',
    adapterOptions: {
      driveId: '1',
      // Stands in for the user's backend, which would hand the page a short-lived PDS access token.
      getToken: async () => ((await (await fetch('/__admin/aliyun-pds/tokens', { method: 'POST' })).json()) as { access_token: string }).access_token,
    },
  },
  'iflytek-ost': { endpoint: '/api/iflytek-ost' },
  // tus needs no backend: the page talks to the tus server itself.
  tus: { endpoint: '/emulator/tus' },
};
