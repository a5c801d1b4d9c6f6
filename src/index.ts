/**
 * multi-cloud-uploader: the `<multi-cloud-uploader>` element and the engine behind it. Each provider's adapter is
 * its own entry, `multi-cloud-uploader/providers/<id>`, loaded by the element only when a page names it. Server
 * handlers live in `multi-cloud-uploader/server`, emulators in `multi-cloud-uploader/emulators`, the React
 * component in `multi-cloud-uploader/react`, Vue typings in `multi-cloud-uploader/vue`.
 */
export { MultiCloudUploader } from './element/multi-cloud-uploader.js';
export { McuCompleteEvent, McuErrorEvent, McuFileAddedEvent, McuProgressEvent, McuWarningEvent } from './element/events.js';
export type {
  McuCompleteDetail,
  McuErrorDetail,
  McuFileAddedDetail,
  McuFileProgress,
  McuProgressDetail,
  McuWarningDetail,
} from './element/events.js';
export { loadTranslation, registerTranslation } from './element/localize.js';
export type { Translation } from './element/localize.js';
export { UploadManager } from './core/upload-manager.js';
export type { UploadManagerOptions } from './core/upload-manager.js';
export { UploadTask } from './core/upload-task.js';
export { UploadError, UploadErrorCode, isUploadError } from './core/errors.js';
export type { ProviderErrorDetail } from './core/errors.js';
export { UploadState } from './core/types.js';
export type { CheckpointRecord, ProgressSnapshot, SavedHashState, UploadManagerEventMap } from './core/types.js';
export type { HttpRequest, HttpResponse } from './core/http.js';
export { DEFAULT_RETRY_POLICY } from './core/retry.js';
export type { RetryPolicy } from './core/retry.js';
export { CheckpointStore } from './checkpoints/checkpoint-store.js';
export { createAdapter, loadProvider, providerNames, registerProvider } from './providers/registry.js';
export type { AdapterOptions, ProviderFactory } from './providers/registry.js';
export { createHashWorker, hashWorkerUrl } from './hashing/worker-source.js';
export type {
  AdapterContext,
  CreateResult,
  FileDescription,
  Part,
  PartLimits,
  PartPlan,
  PartReceipt,
  ProviderAdapter,
  UploadResult,
} from './core/adapter.js';
export type { DigestSpec, HashAlgorithm } from './hashing/digest-spec.js';
