/**
 * `multi-cloud-uploader/react`: `<MultiCloudUploader>`, a React component around the element built with
 * `@lit/react`, with typed camelCase props and typed event props. Importing it also types the bare tag
 * `<multi-cloud-uploader>` in React 19's JSX.
 */
import * as React from 'react';
import { createComponent } from '@lit/react';
import type { EventName } from '@lit/react';
import { MultiCloudUploader as MultiCloudUploaderElement } from './element/multi-cloud-uploader.js';
import type { McuCompleteEvent, McuErrorEvent, McuFileAddedEvent, McuProgressEvent, McuWarningEvent } from './element/events.js';
import type { MultiCloudUploaderAttributes, MultiCloudUploaderProperties } from './element/element-types.js';

export type { MultiCloudUploaderElement };

/** `<MultiCloudUploader provider="s3" endpoint="/api" onMcuComplete={…} ref={…} />`; the ref is the element. */
export const MultiCloudUploader = createComponent({
  tagName: 'multi-cloud-uploader',
  elementClass: MultiCloudUploaderElement,
  react: React,
  events: {
    onMcuFileAdded: 'mcu-file-added' as EventName<McuFileAddedEvent>,
    onMcuProgress: 'mcu-progress' as EventName<McuProgressEvent>,
    onMcuComplete: 'mcu-complete' as EventName<McuCompleteEvent>,
    onMcuError: 'mcu-error' as EventName<McuErrorEvent>,
    onMcuWarning: 'mcu-warning' as EventName<McuWarningEvent>,
  },
  displayName: 'MultiCloudUploader',
});

/** The props `<MultiCloudUploader>` takes. */
export type MultiCloudUploaderProps = React.ComponentProps<typeof MultiCloudUploader>;

/**
 * The bare tag in React 19, which sets properties the element has and listens to `on` + the event's name. Dashed
 * names that TypeScript does not know are not errors in JSX (it treats them as `data-*`-like), so a misspelt
 * `onmcu-compelte` slips through here: the component above, with camelCase event props, catches it.
 */
export type MultiCloudUploaderIntrinsicProps = React.DetailedHTMLProps<React.HTMLAttributes<MultiCloudUploaderElement>, MultiCloudUploaderElement> &
  MultiCloudUploaderAttributes &
  Pick<MultiCloudUploaderProperties, 'adapterOptions' | 'adapter' | 'translation'> & {
    'onmcu-file-added'?: (event: McuFileAddedEvent) => void;
    'onmcu-progress'?: (event: McuProgressEvent) => void;
    'onmcu-complete'?: (event: McuCompleteEvent) => void;
    'onmcu-error'?: (event: McuErrorEvent) => void;
    'onmcu-warning'?: (event: McuWarningEvent) => void;
  };

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'multi-cloud-uploader': MultiCloudUploaderIntrinsicProps;
    }
  }
}
