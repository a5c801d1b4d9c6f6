import { HttpError, jsonResponse, ServerErrorCode } from './http-json.js';

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/**
 * The JSON response for anything a route threw: its own {@link HttpError}, S3's code and message with a matching
 * status, 502 when the storage gave no answer, and otherwise a bare 500 whose details go to `onError` only.
 */
export function errorResponse(error: unknown, clientGone: boolean, onError: (error: unknown) => void): Response {
  if (clientGone) {
    // The page went away and the SDK call was aborted with it: nothing failed, and no one reads this answer.
    return jsonResponse(new HttpError(499, ServerErrorCode.ClientClosed, 'The client closed the request.').toBody(), 499);
  }
  const httpError = toHttpError(error);
  if (!httpError) {
    onError(error);
    return jsonResponse(new HttpError(500, ServerErrorCode.InternalError, 'Internal server error.').toBody(), 500);
  }
  return jsonResponse(httpError.toBody(), httpError.status, httpError.headers);
}
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, $metadata } = error as SdkErrorShape;
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 300) {
    const code = typeof name === 'string' && name !== '' ? name : `Http${status}`;
    const text = typeof message === 'string' && message !== '' && message !== 'UnknownError' ? message : code;
    return new HttpError(s3Status(code, status), code, text.slice(0, 1000), {
      ...($metadata?.requestId !== undefined && { requestId: $metadata.requestId }),
    });
  }
  if ($metadata !== undefined || isNetworkError(error)) {
    return new HttpError(502, ServerErrorCode.StorageUnreachable, 'The storage service could not be reached.');
  }
  return undefined;
}

/**
 * S3's own status for 4xx (the page's adapter maps them); 502 for a storage failure (5xx) or a redirect the SDK did
 * not follow (3xx, a bucket in another region), since neither is the page's fault.
 */
function s3Status(code: string, status: number): number {
  if (code === 'NoSuchUpload' || code === 'NoSuchKey') return 404;
  if (code === 'AccessDenied') return 403;
  return status >= 400 && status < 500 ? status : 502;
}

function isNetworkError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|UND_ERR)/.test(code);
}

