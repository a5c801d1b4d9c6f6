/**
 * What the MetaStudio handler serves to the page (its answers' shapes) and MetaStudio's CreateFile tables as the
 * handler checks them. The handler's own copy, written from seed 003 (CreateFile) and the note, not taken from the
 * browser adapter: a wrong entry in one of them then shows as a refusal, and a test pins both to the seed.
 */

/** "file_size … 最大支持5GB": the largest file CreateFile takes, 5 GiB. */
export const METASTUDIO_HANDLER_MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024;

/** "file_name … 字符长度1-256位": the longest `file_name`, in characters. */
export const METASTUDIO_HANDLER_MAX_NAME_LENGTH = 256;

/** "file_type … 字符长度1-64位": the longest `file_type`, in characters. */
export const METASTUDIO_HANDLER_MAX_FILE_TYPE_LENGTH = 64;

/** The seed's `asset_file_category` values: MAIN, COVER, PAGE, SAMPLE, OTHER, WHOLE_MODEL, USER_MODIFIED_MODEL, TEMPORARY, PACKAGE. */
export const METASTUDIO_HANDLER_FILE_CATEGORIES = [
  'MAIN',
  'COVER',
  'PAGE',
  'SAMPLE',
  'OTHER',
  'WHOLE_MODEL',
  'USER_MODIFIED_MODEL',
  'TEMPORARY',
  'PACKAGE',
] as const;

/** `asset_type` values CreateDigitalAsset takes from a tenant (the note; `VOICE_MODEL` is for administrators only). */
export const METASTUDIO_HANDLER_ASSET_TYPES = [
  'IMAGE',
  'VIDEO',
  'AUDIO',
  'MUSIC',
  'PPT',
  'COMMON_FILE',
  'HUMAN_MODEL_2D',
  'BUSINESS_CARD_TEMPLET',
  'HUMAN_MODEL',
  'SCENE',
  'ANIMATION',
  'MATERIAL',
  'NORMAL_MODEL',
] as const;

/** The PUT's Content-Type by `file_type`, the seed's table; anything else is `application/octet-stream`. */
const CONTENT_TYPES: Record<string, string> = {
  gif: 'image/gif',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  mp4: 'video/mp4',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
};

/** The Content-Type the upload URL is signed with for a `file_type`. */
export function metaStudioHandlerContentType(fileType: string): string {
  return CONTENT_TYPES[fileType.toLowerCase()] ?? 'application/octet-stream';
}

/** The states ConfirmFileUpload takes. */
export type MetaStudioConfirmState = 'CREATED' | 'FAILED' | 'CANCELLED';

/** The handler's answer to a CreateFile request. */
export interface MetaStudioCreateFileAnswer {
  file_id: string;
  asset_id: string;
  content_type: string;
  /** Epoch ms. */
  expires_at: number;
  /** With a handler `secret`: what the file routes take instead of `file_id`. */
  upload_ref?: string;
}

/** The handler's answer to an upload-URL request (direct mode). */
export interface MetaStudioUploadUrlAnswer {
  upload_url: string;
  expires_at: number;
  /** The headers the PUT must carry with exactly these values: Content-MD5 and Content-Type are signed. */
  headers: Record<string, string>;
}
