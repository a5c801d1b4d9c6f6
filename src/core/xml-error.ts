/** What an object store's XML error body says. */
export interface XmlErrorDetail {
  code: string;
  message?: string;
  requestId?: string;
}

/**
 * Reads the `<Error><Code/><Message/><RequestId/></Error>` body that object stores (behind several providers) answer
 * part uploads with; undefined when the body is not one.
 */
export function readXmlError(text: string): XmlErrorDetail | undefined {
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  if (!code) return undefined;
  return {
    code,
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
    requestId: /<RequestId>([^<]*)<\/RequestId>/.exec(text)?.[1],
  };
}
