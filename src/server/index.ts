export { createS3Handler, S3HandlerErrorCode } from './s3-handler.js';
export type {
  S3Action,
  S3CompleteResponse,
  S3CreateResponse,
  S3HandlerOptions,
  S3KeyInput,
  S3ListedPart,
  S3PostParamsResponse,
  S3PutParamsResponse,
  S3SignBatchResponse,
  S3SignPartResponse,
} from './s3-handler.js';
export type { FetchHandler } from './route.js';
export { ServerErrorCode } from './http-json.js';
export type { ErrorBody } from './http-json.js';
export type { AllowedOrigins } from './cors.js';
export type { Authorize, AuthorizeAnswer } from './authorize.js';
export type { TransferTimeouts } from './transfer.js';
export { createMetaStudioHandler, memoryUploadStore, MetaStudioHandlerErrorCode } from './huawei-metastudio-handler.js';
export type {
  MetaStudioAction,
  MetaStudioAuth,
  MetaStudioCallLog,
  MetaStudioHandlerOptions,
  MetaStudioUploadRecord,
  MetaStudioUploadStore,
} from './huawei-metastudio-handler.js';
export { signHuaweiRequest } from './huawei-metastudio-signer.js';
export type { HuaweiAkSk, HuaweiSignInput } from './huawei-metastudio-signer.js';
export {
  createIflytekOstHandler,
  IFLYTEK_OST_UPSTREAM,
  IflytekOstProxyErrorCode,
  iflytekOstDigest,
  signIflytekOstRequest,
} from './iflytek-ost-handler.js';
export type {
  IflytekOstAction,
  IflytekOstHandlerOptions,
  IflytekOstMultipartDigest,
  IflytekOstSigningInput,
  IflytekOstUpstreamRequest,
} from './iflytek-ost-handler.js';
export {
  COS_V4_DOC_FIELD_ORDER,
  COS_V4_MAX_SIGNATURE_LIFETIME,
  COS_V4_SDK_FIELD_ORDER,
  cosV4Original,
  createCosV4SignatureHandler,
  encodeCosV4Path,
  hmacSha1,
  signCosV4,
} from './tencent-cos-v4-handler.js';
export type {
  CosV4Action,
  CosV4SignatureField,
  CosV4SignatureHandlerOptions,
  CosV4SignatureInput,
  CosV4SignatureResponse,
} from './tencent-cos-v4-handler.js';
export {
  createKooDriveHandler,
  KOODRIVE_API_ENDPOINT,
  KOODRIVE_PATHS,
  KooDriveHandlerErrorCode,
  KooDriveUpstreamError,
  kooDriveCanonicalRequest,
  signKooDriveRequest,
  toKooDriveDate,
} from './huawei-koodrive-handler.js';
export type { KooDriveAction, KooDriveHandlerOptions, KooDrivePayloadHash, KooDriveSignInput } from './huawei-koodrive-handler.js';
