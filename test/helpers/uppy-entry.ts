// What test pages get from uppy-bundle-plugin.ts: Uppy 6 as an app bundles it.
export { default as Uppy } from '@uppy/core';
export { default as AwsS3 } from '@uppy/aws-s3';
