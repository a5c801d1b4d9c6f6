import { UploadError, UploadErrorCode, codeForStatus, redactUrl } from '../core/errors.js';
import type { UploadErrorInit } from '../core/errors.js';
import type { HttpResponse } from '../core/http.js';

/** How a provider's fallback message names who failed and who refused. */
export interface FallbackWording {
  failed(where: string): string;
  refused(where: string): string;
}

/** "The server at … failed", "The request to … was refused": the wording of providers whose answers carry no name. */
export const PLAIN_WORDING: FallbackWording = {
  failed: (where) => `The server at ${where} failed`,
  refused: (where) => `The request to ${where} was refused`,
};

/**
 * Where every adapter's `parseError` ends when its own tables do not know the answer: the error code the HTTP status
 * stands for, and a message naming the URL without its query (which may carry a signature) and the provider's own
 * words, if it gave some.
 */
export function fallbackError(response: HttpResponse, init: UploadErrorInit, said?: string, wording: FallbackWording = PLAIN_WORDING): UploadError {
  const code = codeForStatus(response.status);
  const where = redactUrl(response.url);
  const message =
    code === UploadErrorCode.ServerError
      ? `${wording.failed(where)} (HTTP ${response.status}); the upload will retry.`
      : `${wording.refused(where)} (HTTP ${response.status})${said ? `: ${said}` : '.'}`;
  return new UploadError(code, message, init);
}

/** An error code and the sentence a person reads for it. */
export type ErrorMapping = readonly [UploadErrorCode, string];

/**
 * The object-store XML dialect (`<Error><Code/><Message/>…</Error>`) that S3, OSS behind PDS, and OBS behind KooDrive
 * and MetaStudio answer part PUTs with: the codes their pages share, each mapped to what the page shows. An adapter
 * whose storage speaks the dialect starts from it through {@link objectStoreErrors} and words differently only what
 * its storage means differently.
 */
export const OBJECT_STORE_ERRORS: Readonly<Record<string, ErrorMapping>> = {
  AccessDenied: [UploadErrorCode.AuthFailed, 'The storage refused access.'],
  SignatureDoesNotMatch: [UploadErrorCode.AuthFailed, 'The storage refused the request signature.'],
  InvalidAccessKeyId: [UploadErrorCode.AuthFailed, 'The storage does not know the key the request was signed with.'],
  RequestTimeTooSkewed: [UploadErrorCode.AuthFailed, 'The storage refused the request because the clocks differ too much.'],
  ExpiredToken: [UploadErrorCode.UrlExpired, 'The temporary credentials the request was signed with expired.'],
  BadDigest: [UploadErrorCode.HashMismatch, 'A part arrived damaged: its checksum did not match. It will be sent again.'],
  InvalidDigest: [UploadErrorCode.HashMismatch, 'A part\'s checksum header was malformed.'],
  EntityTooSmall: [UploadErrorCode.LimitExceeded, 'A part is smaller than the storage accepts for all but the last part.'],
  EntityTooLarge: [UploadErrorCode.LimitExceeded, 'A part or the file is larger than the storage accepts.'],
  InvalidArgument: [UploadErrorCode.ProviderRejected, 'The storage refused a request argument.'],
  InvalidRequest: [UploadErrorCode.ProviderRejected, 'The storage refused the request.'],
  InvalidPart: [UploadErrorCode.ProviderRejected, 'A part the upload lists is not on the storage, or its ETag differs.'],
  InvalidPartOrder: [UploadErrorCode.ProviderRejected, 'The parts were listed out of order when completing.'],
  NoSuchUpload: [UploadErrorCode.NotFound, 'The storage no longer has this upload (it was completed, aborted or expired).'],
  NoSuchKey: [UploadErrorCode.NotFound, 'The object does not exist on the storage.'],
  NoSuchBucket: [UploadErrorCode.NotFound, 'The bucket does not exist.'],
  SlowDown: [UploadErrorCode.RateLimited, 'The storage asked to slow down; the upload will retry.'],
  InternalError: [UploadErrorCode.ServerError, 'The storage had an internal error; the upload will retry.'],
  ServiceUnavailable: [UploadErrorCode.ServerError, 'The storage is unavailable for the moment; the upload will retry.'],
  RequestTimeout: [UploadErrorCode.Timeout, 'The storage timed out waiting for data; the part will be sent again.'],
};

/** {@link OBJECT_STORE_ERRORS} with a provider's own codes and wording laid over it. */
export function objectStoreErrors(own: Record<string, ErrorMapping>): Readonly<Record<string, ErrorMapping>> {
  return { ...OBJECT_STORE_ERRORS, ...own };
}

/**
 * Whether an object store's refusal is worth sending again whatever its table says: `BadDigest` means the bytes were
 * damaged on the way (the digest came from the file), so the part goes up again; `undefined` leaves it to the code.
 */
export function retryableByStoreCode(code: string | undefined): true | undefined {
  return code === 'BadDigest' ? true : undefined;
}
