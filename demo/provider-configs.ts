import type { AdapterOptions } from '../src/providers/registry.js';
import { cosV4SignatureFromBackend } from '../src/providers/tencent-cos-v4.js';

/**
 * How the demo points each provider at the local emulator server (`npm run demo` proxies `/api`, `/emulator` and
 * `/__admin` to it). A provider's backend handler lives at `/api/<id>` unless it talks to the provider directly,
 * in which case its emulator is at `/emulator/<id>`. One entry per provider. `origin` is where the emulator server
 * answers: empty for the demo's own proxy, its own origin for a page served elsewhere (the tests, the soak).
 */
export function demoProviderConfigsAt(origin: string): Record<string, { endpoint: string; adapterOptions?: AdapterOptions }> {
  return {
    s3: { endpoint: `${origin}/api` },
    // The handler signs MetaStudio's calls and proxies the PUT; each file becomes its own asset.
    'huawei-metastudio': { endpoint: `${origin}/api/huawei-metastudio` },
    'aliyun-pds': {
      endpoint: `${origin}/emulator/aliyun-pds`,
      adapterOptions: {
        driveId: '1',
        // Stands in for the user's backend, which would hand the page a short-lived PDS access token.
        getToken: async () =>
          ((await (await fetch(`${origin}/__admin/aliyun-pds/tokens`, { method: 'POST' })).json()) as { access_token: string }).access_token,
      },
    },
    'huawei-koodrive': { endpoint: `${origin}/api/huawei-koodrive` },
    'iflytek-ost': { endpoint: `${origin}/api/iflytek-ost` },
    // The page talks to the v4 bucket itself; the shipped handler at /api/tencent-cos-v4 hands it short-lived signatures.
    'tencent-cos-v4': {
      endpoint: `${origin}/emulator/tencent-cos-v4/files/v2/1250000000/mcubucket`,
      adapterOptions: { getSignature: cosV4SignatureFromBackend(`${origin}/api/tencent-cos-v4/signature`) },
    },
    // tus needs no backend: the page talks to the tus server itself.
    tus: { endpoint: `${origin}/emulator/tus` },
  };
}

/** The demo's own configurations, through its proxy. */
export const demoProviderConfigs = demoProviderConfigsAt('');
