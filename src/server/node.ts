// `multi-cloud-uploader/server/node`: the Fetch-style handlers plus the `node:http` adapter. The adapter needs `node:`
// modules, so it lives apart from `./server`, which has to import in any Fetch runtime (workerd, Deno, Bun, browsers).
export * from './index.js';
export { DROP_CONNECTION_HEADER, toNodeListener } from './node-http.js';
export type { NodeListenerOptions } from './node-http.js';
