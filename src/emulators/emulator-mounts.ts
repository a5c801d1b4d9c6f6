import type { FetchHandler } from '../server/node-http.js';
import { createAdminHandler, type AdminHandlerOptions, type ArmFault } from './admin-routes.js';
import type { Emulator } from './emulator.js';
import { dropsOverNode, type DroppedAnswer } from './over-node.js';

/** An extra Fetch handler served under `path` (and everything below it). */
export interface EmulatorMount {
  path: string;
  handler: FetchHandler;
}

/** What every provider's `*Mounts()` takes: the server's origin, and optionally a fault parser and an emulator. */
export interface ProviderMountOptions<E extends Emulator> {
  /** The emulator server's origin: URLs the emulator hands out point there, and handlers forward there. */
  origin: string;
  /** A fault parser of your own; by default the shared one, where a part number alone means the provider's part call. */
  armFault?: ArmFault;
  /** An emulator of your own; by default one with the provider's test settings. */
  emulator?: E;
}

/** One emulator's place on the emulator server. */
export interface EmulatorMountSpec {
  emulator: Emulator;
  /** Where the emulator answers, e.g. `/emulator/tus`. */
  path: string;
  /** Where its test-only admin routes live, e.g. `/__admin/tus`. */
  adminPath: string;
  /** The provider's error answer sent before a dropped connection breaks over real HTTP. */
  dropped: DroppedAnswer;
  /** The admin routes' provider-specific settings. */
  admin: Omit<AdminHandlerOptions, 'basePath' | 'emulator'>;
  /** The shipped server handlers that stand in front of the emulator (a signer, a proxy), mounted beside it. */
  handlers?: EmulatorMount[];
}

/** The mounts of one emulator: itself (drops become broken connections), its admin routes, and its handlers. */
export function mountEmulator(spec: EmulatorMountSpec): EmulatorMount[] {
  const { emulator } = spec;
  return [
    { path: spec.path, handler: dropsOverNode((request) => emulator.handle(request), spec.dropped) },
    { path: spec.adminPath, handler: createAdminHandler({ ...spec.admin, basePath: spec.adminPath, emulator }) },
    ...(spec.handlers ?? []),
  ];
}
