/**
 * multi-cloud-uploader: the `<multi-cloud-uploader>` element, the engine behind it, and the provider adapters.
 * Server handlers live in `multi-cloud-uploader/server`, emulators in `multi-cloud-uploader/emulators`.
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
export { registerTranslation } from './element/localize.js';
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
export { createAdapter, providerNames, registerProvider } from './providers/registry.js';
export type { AdapterOptions } from './providers/registry.js';
export { createS3Adapter, S3_LIMITS } from './providers/s3.js';
export type { S3AdapterOptions, S3BackendRequest, S3BackendResponses, S3Checksum, S3Session } from './providers/s3.js';
export { createMetaStudioAdapter, METASTUDIO_LIMITS, metaStudioContentType, parseMetaStudioError } from './providers/huawei-metastudio.js';
export type {
  MetaStudioAdapterOptions,
  MetaStudioAssetType,
  MetaStudioFileCategory,
  MetaStudioNewAsset,
  MetaStudioSession,
} from './providers/huawei-metastudio.js';
export { createIflytekOstAdapter, IFLYTEK_OST_LIMITS, IFLYTEK_OST_SINGLE_UPLOAD_LIMIT, parseIflytekOstError, seedStyleRequestId } from './providers/iflytek-ost.js';
export type { IflytekOstAdapterOptions, IflytekOstSession } from './providers/iflytek-ost.js';
export { ALIYUN_PDS_LIMITS, createAliyunPdsAdapter, parseAliyunPdsError } from './providers/aliyun-pds.js';
export type { AliyunPdsAdapterOptions, AliyunPdsCheckNameMode, AliyunPdsSession } from './providers/aliyun-pds.js';
export { createTusAdapter, DEFAULT_MAX_CONCAT_PARTS, encodeTusMetadata, parseTusError, readTusCapabilities, TUS_LIMITS, TUS_VERSION } from './providers/tus.js';
export type { TusAdapterOptions, TusCapabilities, TusChecksum, TusSession } from './providers/tus.js';
export {
  COS_V4_SINGLE_UPLOAD_THRESHOLD,
  COS_V4_SLICE_SIZES,
  CosV4Op,
  cosV4SignatureFromBackend,
  createTencentCosV4Adapter,
  parseCosV4Error,
  readCosV4Signature,
} from './providers/tencent-cos-v4.js';
export type { CosV4SignatureParts, CosV4SignatureRequest, TencentCosV4AdapterOptions, TencentCosV4Session } from './providers/tencent-cos-v4.js';
export { createKooDriveAdapter, KOODRIVE_LIMITS, kooDriveFileName, kooDriveFileType, parseKooDriveError } from './providers/huawei-koodrive.js';
export type { KooDriveAdapterOptions, KooDriveAutoRename, KooDriveMode, KooDriveSession } from './providers/huawei-koodrive.js';
export type { AdapterContext, CreateResult, FileDescription, Part, PartLimits, PartPlan, PartReceipt, ProviderAdapter, UploadResult } from './core/adapter.js';
export type { DigestSpec, HashAlgorithm } from './hashing/digest-spec.js';
