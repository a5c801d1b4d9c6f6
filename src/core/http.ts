/** A request an adapter builds and the engine sends. Bodies that are Blobs stay slices: never copied on the main thread. */
export interface HttpRequest {
  /** `OPTIONS` is for protocols that discover what the server supports before uploading. */
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  headers?: Record<string, string>;
  body?: Blob | string | FormData | null;
  /** Overrides the engine's request timeout, in milliseconds. */
  timeoutMs?: number;
}

/** What came back. `headers.get` reads only what CORS exposes to the page. */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  /** The request's URL without query or fragment. */
  url: string;
}

/** Parses a JSON body, or says that it was not JSON. */
export function parseJson<T>(response: HttpResponse): T | undefined {
  try {
    return JSON.parse(response.text) as T;
  } catch {
    return undefined;
  }
}

/** Merges header sets case-insensitively, later sets winning, so one header never goes out twice as "x, x". */
export function mergeHeaders(...sets: Array<Record<string, string> | undefined>): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const set of sets) {
    for (const [name, value] of Object.entries(set ?? {})) merged.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries(merged.values());
}
