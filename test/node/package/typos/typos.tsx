// Copied into the React example app by consumer.test.ts: each line must be a type error, or tsc fails on the directive.
import { MultiCloudUploader } from 'multi-cloud-uploader/react';
import type { McuCompleteEvent } from 'multi-cloud-uploader';

const onComplete = (event: McuCompleteEvent) => event.detail.result;

export const typos = [
  // @ts-expect-error a misspelt event prop
  <MultiCloudUploader onMcuCompelte={onComplete} />,
  // @ts-expect-error a handler for another event
  <MultiCloudUploader onMcuProgress={onComplete} />,
  // @ts-expect-error a number given a string
  <MultiCloudUploader concurrency="four" />,
  // @ts-expect-error a misspelt prop
  <MultiCloudUploader provder="s3" />,
  // @ts-expect-error the bare tag with a handler for another event
  <multi-cloud-uploader onmcu-progress={onComplete} />,
  // @ts-expect-error the bare tag with options of the wrong type
  <multi-cloud-uploader adapterOptions="s3" />,
];
