/**
 * S3's browser-based upload (POST Object) as the store checks it: the form's fields against the signed policy, the way
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html describes. Its own parser and
 * signer, so that the emulator never shares a reading of the policy with the handler that writes it.
 */
import { base64ToBytes, bytesToBase64 } from './checksums.js';
import { credentialScope, signature, SIGV4_ALGORITHM, toAmzDate, type SigV4Credentials } from './sigv4.js';

/** A form field S3 reads without a policy condition: the signature, the policy itself, the file, `x-ignore-*`. */
function exemptFromPolicy(name: string): boolean {
  return name === 'policy' || name === 'x-amz-signature' || name === 'file' || name.startsWith('x-ignore-');
}

/** Why a form is refused, in S3's error vocabulary. */
export interface PolicyRefusal {
  code: string;
  message: string;
  details?: Record<string, string>;
}

interface Policy {
  expiration: number;
  conditions: unknown[];
}

const denied = (why: string): PolicyRefusal => ({ code: 'AccessDenied', message: `Invalid according to Policy: ${why}` });
const invalidPolicy = (why: string): PolicyRefusal => ({ code: 'InvalidPolicyDocument', message: `Invalid Policy: ${why}` });

function decodePolicy(base64: string): Policy | PolicyRefusal {
  const bytes = base64ToBytes(base64);
  if (!bytes) return invalidPolicy('Invalid Base64.');
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return invalidPolicy('Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null) return invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') return invalidPolicy('Policy missing expiration.');
  const expiresAt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(expiration) ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expiresAt)) return invalidPolicy('Invalid \'expiration\' value.');
  if (!Array.isArray(conditions)) return invalidPolicy('Policy missing conditions.');
  return { expiration: expiresAt, conditions };
}

/** A condition as S3's message shows it: `["eq", "$key", "a.txt"]`. */
function shown(condition: unknown[]): string {
  return `[${condition.map((item) => JSON.stringify(item)).join(', ')}]`;
}

/** The form field a `$name` operand names, lower-cased as S3 matches field names. */
function operandField(operand: unknown): string | undefined {
  return typeof operand === 'string' && operand.startsWith('$') ? operand.slice(1).toLowerCase() : undefined;
}

/**
 * Checks the form's fields (names lower-cased, everything before the file) and the file's size against the policy.
 * `bucket` is the bucket of the URL, which a `{"bucket": …}` condition names.
 */
export function checkPostPolicy(
  policyBase64: string,
  fields: ReadonlyMap<string, string>,
  fileSize: number,
  bucket: string,
  now: number,
): PolicyRefusal | undefined {
  const policy = decodePolicy(policyBase64);
  if ('code' in policy) return policy;
  if (now > policy.expiration) return denied('Policy expired.');
  const value = (name: string) => (name === 'bucket' ? bucket : fields.get(name));
  const covered = new Set<string>();
  for (const condition of policy.conditions) {
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition as unknown[];
      if (operator === 'content-length-range') {
        if (typeof first !== 'number' || typeof second !== 'number') return invalidPolicy('Invalid content-length-range.');
        if (fileSize > second) {
          return { code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size', details: { ProposedSize: String(fileSize), MaxSizeAllowed: String(second) } };
        }
        if (fileSize < first) {
          return { code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed size', details: { ProposedSize: String(fileSize), MinSizeAllowed: String(first) } };
        }
        continue;
      }
      const field = operandField(first);
      if ((operator !== 'eq' && operator !== 'starts-with') || field === undefined || typeof second !== 'string') {
        return invalidPolicy(`Invalid Policy condition: ${JSON.stringify(condition)}.`);
      }
      covered.add(field);
      const actual = value(field) ?? '';
      if (operator === 'eq' ? actual !== second : !actual.startsWith(second)) {
        return denied(`Policy Condition failed: ${shown(condition)}`);
      }
      continue;
    }
    if (typeof condition !== 'object' || condition === null) return invalidPolicy(`Invalid Policy condition: ${JSON.stringify(condition)}.`);
    const entries = Object.entries(condition);
    if (entries.length !== 1 || typeof entries[0]?.[1] !== 'string') {
      return invalidPolicy(`Invalid Policy condition: ${JSON.stringify(condition)}.`);
    }
    const [name, expected] = entries[0] as [string, string];
    const field = name.toLowerCase();
    covered.add(field);
    if (value(field) !== expected) return denied(`Policy Condition failed: ${shown(['eq', `$${name}`, expected])}`);
  }
  const extra = [...fields.keys()].filter((name) => !exemptFromPolicy(name) && !covered.has(name));
  if (extra.length > 0) return denied(`Extra input fields: ${extra.join(', ')}`);
  return undefined;
}

/**
 * Checks the form's SigV4 fields (names lower-cased) and its signature over the policy; `secretFor` answers the secret
 * of a known access key.
 */
export async function verifyPostSignature(
  fields: ReadonlyMap<string, string>,
  region: string,
  secretFor: (accessKeyId: string) => string | undefined,
): Promise<PolicyRefusal | undefined> {
  for (const name of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature']) {
    if (!fields.has(name)) {
      return { code: 'InvalidArgument', message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, details: { ArgumentName: name } };
    }
  }
  if (fields.get('x-amz-algorithm') !== SIGV4_ALGORITHM) {
    return { code: 'InvalidArgument', message: `X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"` };
  }
  const amzDate = fields.get('x-amz-date') as string;
  const [accessKeyId = '', date = '', scopeRegion = '', service = '', terminator = '', ...more] = (fields.get('x-amz-credential') as string).split('/');
  if (more.length > 0 || terminator !== 'aws4_request' || service !== 's3' || date !== amzDate.slice(0, 8) || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return { code: 'InvalidArgument', message: 'Invalid argument.', details: { ArgumentName: 'x-amz-credential', ArgumentValue: fields.get('x-amz-credential') as string } };
  }
  if (scopeRegion !== region) {
    return { code: 'AuthorizationHeaderMalformed', message: `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`, details: { Region: region } };
  }
  const secret = secretFor(accessKeyId);
  if (secret === undefined) {
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.', details: { AWSAccessKeyId: accessKeyId } };
  }
  const expected = await signature(secret, date, region, 's3', fields.get('policy') ?? '');
  if (expected !== (fields.get('x-amz-signature') as string).toLowerCase()) {
    return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', details: { AWSAccessKeyId: accessKeyId } };
  }
  return undefined;
}

/** What {@link signPostPolicy} signs. */
export interface PostPolicyInput {
  credentials: SigV4Credentials;
  region: string;
  bucket: string;
  key: string;
  /** Fields the form will carry, each bound exactly. */
  fields: Record<string, string>;
  /** Further conditions, such as `["content-length-range", 0, 100]`. */
  conditions?: unknown[];
  expiresIn: number;
  now: number;
}

/** The fields of a SigV4-signed POST policy for one key, the shape the AWS SDK's `createPresignedPost` answers. */
export async function signPostPolicy(input: PostPolicyInput): Promise<Record<string, string>> {
  const amzDate = toAmzDate(input.now);
  const date = amzDate.slice(0, 8);
  const fields: Record<string, string> = {
    ...input.fields,
    key: input.key,
    'X-Amz-Algorithm': SIGV4_ALGORITHM,
    'X-Amz-Credential': `${input.credentials.accessKeyId}/${credentialScope(date, input.region, 's3')}`,
    'X-Amz-Date': amzDate,
  };
  const policy = {
    expiration: new Date(input.now + input.expiresIn * 1000).toISOString(),
    conditions: [{ bucket: input.bucket }, ...Object.entries(fields).map(([name, value]) => ({ [name]: value })), ...(input.conditions ?? [])],
  };
  const encoded = bytesToBase64(new TextEncoder().encode(JSON.stringify(policy)));
  const signed = await signature(input.credentials.secretAccessKey, date, input.region, 's3', encoded);
  return { ...fields, Policy: encoded, 'X-Amz-Signature': signed };
}
