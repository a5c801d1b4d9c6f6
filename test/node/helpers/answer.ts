import assert from 'node:assert/strict';

/** A handler's answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any; // any: each test reads the fields of the answer shape it expects
}

/** `fetch` that reads the whole answer; `as` sends `Authorization: Bearer <as>`, the test's stand-in for a session. */
export async function call(url: string, init: RequestInit & { as?: string } = {}): Promise<Answer> {
  const { as, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (as !== undefined) headers.set('authorization', `Bearer ${as}`);
  const response = await fetch(url, { ...rest, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A JSON POST, as the page's adapters send them. */
export const postJson = (url: string, body: unknown, as?: string, headers: Record<string, string> = {}): Promise<Answer> =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(as !== undefined && { as }),
  });

/** The handler's own `{error: {code, message}}` with this status and code. */
export function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error?.code, code, answer.text);
}
