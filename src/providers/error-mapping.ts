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

/**
 * Whether an object store's refusal is worth sending again whatever its table says: `BadDigest` means the bytes were
 * damaged on the way (the digest came from the file), so the part goes up again; `undefined` leaves it to the code.
 */
export function retryableByStoreCode(code: string | undefined): true | undefined {
  return code === 'BadDigest' ? true : undefined;
}
