import type { FetchHandler } from '../server/node-http.js';
import { armFault, createAdminHandler, type AdminHandlerOptions, type ArmFault } from './admin-routes.js';
import type { Emulator } from './emulator.js';
import { dropsOverNode, type DroppedAnswer } from './over-node.js';
import { xmlDocument } from './xml.js';

/** An extra Fetch handler served under `path` (and everything below it). */
export interface EmulatorMount {
  path: string;
  handler: FetchHandler;
}

/** What every provider's `*Mounts()` takes: the server's origin, and optionally a fault parser and an emulator. */
export interface ProviderMountOptions<E extends Emulator> {
  /** The emulator server's origin: URLs the emulator hands out point there, and handlers forward there. */
  origin: string;
  /** A fault parser of your own; by default the provider's, where a part number alone means its part call. */
  armFault?: ArmFault;
  /** An emulator of your own; by default one with the provider's test settings. */
  emulator?: E;
}

/** The admin routes' provider-specific settings. */
export type ProviderAdmin = Omit<AdminHandlerOptions, 'basePath' | 'emulator' | 'armFault'>;

/** One provider's place on the emulator server, as data: every provider's `*Mounts()` is made from one of these. */
export interface ProviderMountSpec<E extends Emulator> {
  /** Where the emulator answers, e.g. `/emulator/tus`. */
  path: string;
  /** Where its test-only admin routes live, e.g. `/__admin/tus`. */
  adminPath: string;
  /** The emulator with the provider's test settings, for a server at `origin`. */
  emulator: (origin: string) => E;
  /** The provider's error answer sent before a dropped connection breaks over real HTTP. */
  dropped: DroppedAnswer;
  /** The provider's fault parser; defaults to {@link armFault} (`UploadPart`). */
  armFault?: ArmFault;
  /** The admin routes' provider-specific settings. */
  admin: (emulator: E) => ProviderAdmin;
  /** The shipped server handlers that stand in front of the emulator (a signer, a proxy), mounted beside it. */
  handlers?: (emulator: E, origin: string) => EmulatorMount[];
}

/** An error in the object-store XML dialect (S3, OSS, OBS) for a dropped connection. */
export const DROPPED_AS_OBJECT_STORE: DroppedAnswer = {
  body: xmlDocument('Error', [['Code', 'InternalError'], ['Message', 'The connection was dropped by a fault.']], null),
  contentType: 'application/xml',
};

/** A JSON error body for a dropped connection, in the provider's own fields. */
export function droppedAsJson(body: object): DroppedAnswer {
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

/**
 * A provider's `*Mounts(options)`: its emulator (drops become broken connections), its admin routes, and the shipped
 * handlers in front of it, each on its path.
 */
export function providerMounts<E extends Emulator>(spec: ProviderMountSpec<E>): (options: ProviderMountOptions<E>) => EmulatorMount[] {
  return (options) => {
    const emulator = options.emulator ?? spec.emulator(options.origin);
    const admin: AdminHandlerOptions = {
      ...spec.admin(emulator),
      armFault: options.armFault ?? spec.armFault ?? armFault,
      basePath: spec.adminPath,
      emulator,
    };
    return [
      { path: spec.path, handler: dropsOverNode((request) => emulator.handle(request), spec.dropped) },
      { path: spec.adminPath, handler: createAdminHandler(admin) },
      ...(spec.handlers?.(emulator, options.origin) ?? []),
    ];
  };
}
