// The worker the end-to-end tests run inside workerd (Cloudflare's runtime, through Miniflare): the shipped handlers
// from the built package, routed by path prefix as the emulator server mounts them. No Node compatibility flag is set,
// so a handler that reaches for a Node API fails here.
import { workerdMounts, type WorkerdEmulators, type WorkerdMount } from './handlers.js';

/** The bindings test/helpers/workerd.ts gives the worker. */
export interface WorkerdEnv {
  EMULATORS: WorkerdEmulators;
}

/** What `GET /__runtime` answers: proof that the page talks to workerd, and without Node globals. */
export interface WorkerdRuntime {
  userAgent: string;
  nodeGlobals: string[];
}

let mounts: WorkerdMount[] | undefined;

function under(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

export default {
  async fetch(request: Request, env: WorkerdEnv): Promise<Response> {
    // Bindings arrive with the first request; the handlers are made once per isolate, as a deployed worker would.
    mounts ??= workerdMounts(env.EMULATORS, (error) => console.error('[workerd handler]', error));
    const { pathname } = new URL(request.url);
    if (pathname === '/__runtime') {
      const runtime: WorkerdRuntime = {
        userAgent: navigator.userAgent,
        nodeGlobals: ['process', 'Buffer', 'global', 'require', 'setImmediate'].filter((name) => name in globalThis),
      };
      return Response.json(runtime, { headers: { 'access-control-allow-origin': '*' } });
    }
    const mount = mounts.find((candidate) => under(pathname, candidate.path));
    if (mount) return mount.handler(request);
    return Response.json({ error: { code: 'not-found', message: `Nothing is served at ${pathname}` } }, { status: 404 });
  },
};
