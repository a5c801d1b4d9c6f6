// The shipped handlers as the worker in workerd serves them: each configured like its mount on the emulator server
// (src/emulators/node-server.ts and the *-mounts files), on the same paths, so a page only swaps the origin.
// Imported from the built package by its name, never from src/: this is the code users deploy.
import {
  createCosV4SignatureHandler,
  createIflytekOstHandler,
  createKooDriveHandler,
  createMetaStudioHandler,
  createS3Handler,
  type FetchHandler,
} from 'multi-cloud-uploader/server';

/**
 * Where the emulators listen and their test credentials (not secrets), bound into the worker as JSON. A type alias,
 * not an interface: Miniflare's JSON bindings accept only types with an implicit index signature.
 */
export type WorkerdEmulators = {
  /** The emulator server's origin, e.g. `http://127.0.0.1:P`. */
  origin: string;
  s3: { endpoint: string; bucket: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  kooDrive: { apiEndpoint: string; appId: string; appSecret: string; userId: string };
  metaStudio: { endpoint: string; projectId: string; accessKey: string; secretKey: string; secret: string };
  iflytekOst: { upstream: string; appId: string; apiKey: string; apiSecret: string };
  cosV4: { appId: string; bucket: string; secretId: string; secretKey: string; expiresIn: number };
};

export interface WorkerdMount {
  path: string;
  handler: FetchHandler;
}

export function workerdMounts(emulators: WorkerdEmulators, onError: (error: unknown) => void): WorkerdMount[] {
  const { s3, kooDrive, metaStudio, iflytekOst, cosV4 } = emulators;
  return [
    {
      path: '/api/s3',
      handler: createS3Handler({
        bucket: s3.bucket,
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: s3.credentials,
        keyPrefix: 'uploads/',
        basePath: '/api',
        allowedOrigins: '*',
        onError,
      }),
    },
    {
      path: '/api/huawei-koodrive',
      handler: createKooDriveHandler({
        appId: kooDrive.appId,
        appSecret: kooDrive.appSecret,
        userId: kooDrive.userId,
        apiEndpoint: kooDrive.apiEndpoint,
        basePath: '/api/huawei-koodrive',
        allowedOrigins: '*',
        onError,
      }),
    },
    {
      path: '/api/huawei-metastudio',
      handler: createMetaStudioHandler({
        endpoint: metaStudio.endpoint,
        projectId: metaStudio.projectId,
        auth: { accessKey: metaStudio.accessKey, secretKey: metaStudio.secretKey },
        secret: metaStudio.secret,
        // The emulator's upload URLs point at the emulator server, not at OBS.
        allowedUploadHosts: [new URL(emulators.origin).host],
        basePath: '/api/huawei-metastudio',
        allowedOrigins: '*',
        onError,
      }),
    },
    {
      path: '/api/iflytek-ost',
      handler: createIflytekOstHandler({
        appId: iflytekOst.appId,
        apiKey: iflytekOst.apiKey,
        apiSecret: iflytekOst.apiSecret,
        upstream: iflytekOst.upstream,
        basePath: '/api/iflytek-ost',
        allowedOrigins: '*',
        onError,
      }),
    },
    {
      path: '/api/tencent-cos-v4',
      handler: createCosV4SignatureHandler({
        appId: cosV4.appId,
        bucket: cosV4.bucket,
        secretId: cosV4.secretId,
        secretKey: cosV4.secretKey,
        expiresIn: cosV4.expiresIn,
        basePath: '/api/tencent-cos-v4',
        allowedOrigins: '*',
        onError,
      }),
    },
  ];
}
