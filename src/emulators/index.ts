export { S3Emulator, S3Operation } from './s3-emulator.js';
export type { S3EmulatorOptions, S3EmulatorStats, S3PendingUpload, S3PresignRequest } from './s3-emulator.js';
export { FaultInjector, FaultKind } from './faults.js';
// One msw wiring serves every emulator; the per-provider names stay for code written against them.
export {
  emulatorHandlers,
  emulatorHandlers as aliyunPdsEmulatorHandlers,
  emulatorHandlers as iflytekOstEmulatorHandlers,
  emulatorHandlers as kooDriveEmulatorHandlers,
  emulatorHandlers as metaStudioEmulatorHandlers,
  emulatorHandlers as s3EmulatorHandlers,
  emulatorHandlers as tencentCosV4EmulatorHandlers,
  emulatorHandlers as tusEmulatorHandlers,
} from './msw.js';
export type { CountedMatch, DropOptions, FailOptions, Fault, FaultMatch, FaultTarget } from './faults.js';
// One fault parser type serves every admin route; the per-provider names stay for code written against them.
export type {
  ArmFault,
  ArmFault as KooDriveArmFault,
  ArmFault as MetaStudioArmFault,
  ArmFault as TusArmFault,
} from './admin-routes.js';
export { MetaStudioEmulator, MetaStudioOperation } from './huawei-metastudio-emulator.js';
export type {
  MetaStudioEmulatedFile,
  MetaStudioEmulatorOptions,
  MetaStudioEmulatorStats,
  MetaStudioFileState,
} from './huawei-metastudio-emulator.js';
export {
  EMULATOR_METASTUDIO_ADMIN_PATH,
  EMULATOR_METASTUDIO_API_PATH,
  EMULATOR_METASTUDIO_BASE_PATH,
  EMULATOR_METASTUDIO_CREDENTIALS,
  EMULATOR_METASTUDIO_PROJECT_ID,
  metaStudioMounts,
} from './huawei-metastudio-mounts.js';
export type { MetaStudioMountOptions } from './huawei-metastudio-mounts.js';
export { presignUrl, verifySigV4 } from './sigv4.js';
export type { PresignInput, SigV4Credentials, SigV4Result, VerifyOptions } from './sigv4.js';
export { IFLYTEK_OST_GATEWAY_MESSAGES, IflytekOstEmulator, IflytekOstOperation } from './iflytek-ost-emulator.js';
export type {
  IflytekOstCredentials,
  IflytekOstEmulatorOptions,
  IflytekOstEmulatorStats,
  IflytekOstPendingUpload,
  IflytekOstRawRequest,
  IflytekOstRefusal,
} from './iflytek-ost-emulator.js';
export {
  EMULATOR_IFLYTEK_OST_ADMIN_PATH,
  EMULATOR_IFLYTEK_OST_API_PATH,
  EMULATOR_IFLYTEK_OST_BASE_PATH,
  EMULATOR_IFLYTEK_OST_CREDENTIALS,
  iflytekOstMounts,
} from './iflytek-ost-mounts.js';
export type { IflytekOstMountOptions } from './iflytek-ost-mounts.js';
export { AliyunPdsEmulator, AliyunPdsOperation, ALIYUN_PDS_UNDOCUMENTED_CODES } from './aliyun-pds-emulator.js';
export type {
  AliyunPdsEmulatorOptions,
  AliyunPdsEmulatorStats,
  AliyunPdsPendingUpload,
  AliyunPdsStoredFile,
  AliyunPdsTestToken,
} from './aliyun-pds-emulator.js';
export { aliyunPdsMounts, EMULATOR_ALIYUN_PDS_ADMIN_PATH, EMULATOR_ALIYUN_PDS_BASE_PATH } from './aliyun-pds-mounts.js';
export type { AliyunPdsMountOptions } from './aliyun-pds-mounts.js';
export { TencentCosV4Emulator } from './tencent-cos-v4-emulator.js';
export type {
  CosV4Credentials,
  CosV4EmulatorStats,
  CosV4PendingSession,
  TencentCosV4EmulatorOptions,
} from './tencent-cos-v4-emulator.js';
export { armCosV4Fault, EMULATOR_COS_V4, tencentCosV4Mounts } from './tencent-cos-v4-mounts.js';
export type { TencentCosV4MountOptions } from './tencent-cos-v4-mounts.js';
export { KooDriveEmulator, KooDriveOperation } from './huawei-koodrive-emulator.js';
export type {
  KooDriveEmulatorOptions,
  KooDriveEmulatorStats,
  KooDrivePendingUpload,
  KooDriveStoredFile,
} from './huawei-koodrive-emulator.js';
export {
  EMULATOR_KOODRIVE_ADMIN_PATH,
  EMULATOR_KOODRIVE_API_PATH,
  EMULATOR_KOODRIVE_APP_API_PATH,
  EMULATOR_KOODRIVE_BASE_PATH,
  EMULATOR_KOODRIVE_CREDENTIALS,
  kooDriveMounts,
} from './huawei-koodrive-mounts.js';
export type { KooDriveMountOptions } from './huawei-koodrive-mounts.js';
export { TusEmulator, TusOperation } from './tus-emulator.js';
export type { TusChecksumAlgorithm, TusEmulatorOptions, TusEmulatorStats, TusExtension, TusStoredUpload } from './tus-emulator.js';
export { EMULATOR_TUS_ADMIN_PATH, EMULATOR_TUS_BASE_PATH, tusMounts } from './tus-mounts.js';
export type { TusMountOptions } from './tus-mounts.js';
export { corsHeaders, DEFAULT_FAULT_ORDER, EmulatorBase, FaultStep, JsonRefusal, randomHex, Refusal, serveWithFaults, XmlRefusal } from './emulator.js';
export type { CorsRule, Emulator, EmulatorOptions, FaultPipeline } from './emulator.js';
export { armFault, armFaultFor } from './admin-routes.js';
export { DROPPED_AS_OBJECT_STORE, droppedAsJson, providerMounts } from './emulator-mounts.js';
export type { EmulatorMount, ProviderAdmin, ProviderMountOptions, ProviderMountSpec } from './emulator-mounts.js';
export { s3Mounts, EMULATOR_S3_ADMIN_PATH, EMULATOR_S3_BASE_PATH } from './s3-mounts.js';
export type { S3MountOptions } from './s3-mounts.js';
