import { HttpError, ServerErrorCode } from './http-json.js';

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  /** S3's `<PartNumber>` of an `InvalidPart` answer, which the SDK copies onto the error. */
  PartNumber?: unknown;
}

/**
 * The `mapError` of the S3 handler: what an error the AWS SDK threw means for the page. S3's 4xx answers keep their
 * code, status and message, which describe the page's own request, and a 501 (an operation the store does not offer)
 * stays a 501. A storage failure (other 5xx), a redirect the SDK did
 * not follow (3xx, a bucket in another region) or no answer at all becomes a 502 with a generic message, the details
 * going to `onError`, since they can name the store's hosts. Anything else is not an SDK error (`undefined`).
 */
export function s3ErrorMapper(onError: (error: unknown) => void): (error: unknown) => HttpError | undefined {
  return (error) => {
    if (typeof error !== 'object' || error === null) return undefined;
    const { name, message, $metadata, PartNumber } = error as SdkErrorShape;
    const status = $metadata?.httpStatusCode;
    const requestId = $metadata?.requestId !== undefined ? { requestId: $metadata.requestId } : {};
    if (typeof status === 'number' && status >= 300) {
      const code = typeof name === 'string' && name !== '' ? name : `Http${status}`;
      if (status >= 400 && status < 500) {
        const text = typeof message === 'string' && message !== '' && message !== 'UnknownError' ? message : code;
        // The refused part's number lets the page send that part again rather than every part it took on trust.
        const partNumber = code === 'InvalidPart' && /^\d{1,5}$/.test(String(PartNumber)) ? { partNumber: Number(PartNumber) } : {};
        return new HttpError(clientStatus(code, status), code, text.slice(0, 1000), { ...requestId, ...partNumber });
      }
      // A store without the operation (ListParts on a minimal gateway) is no failure: the page falls back on what it has.
      if (status === 501) return new HttpError(501, code, 'The storage service does not offer this operation.', requestId);
      onError(error);
      return new HttpError(502, code, 'The storage service failed to handle the request.', requestId);
    }
    if ($metadata !== undefined || isNetworkError(error)) {
      onError(error);
      return new HttpError(502, ServerErrorCode.StorageUnreachable, 'The storage service could not be reached.');
    }
    return undefined;
  };
}

/** S3's own 4xx status, which the page's adapter maps; some stores answer a missing upload or key with another. */
function clientStatus(code: string, status: number): number {
  if (code === 'NoSuchUpload' || code === 'NoSuchKey') return 404;
  if (code === 'AccessDenied') return 403;
  return status;
}

function isNetworkError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|UND_ERR)/.test(code);
}
