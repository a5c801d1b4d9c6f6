import type { McuCompleteEvent, McuErrorEvent, McuFileAddedEvent, McuProgressEvent, McuWarningEvent } from './events.js';
import type { MultiCloudUploader } from './multi-cloud-uploader.js';

/** The element's settable properties, as frameworks that set DOM properties (React 19, Vue, @lit/react) see them. */
export type MultiCloudUploaderProperties = Partial<
  Pick<
    MultiCloudUploader,
    | 'provider'
    | 'endpoint'
    | 'multiple'
    | 'accept'
    | 'maxFileSize'
    | 'maxFiles'
    | 'concurrency'
    | 'partSize'
    | 'autoStart'
    | 'disabled'
    | 'noDrop'
    | 'noResume'
    | 'workerUrl'
    | 'adapterOptions'
    | 'adapter'
    | 'translation'
  >
>;

/** The element's attributes, as written in markup. */
export interface MultiCloudUploaderAttributes {
  provider?: string;
  endpoint?: string;
  multiple?: boolean;
  accept?: string;
  'max-file-size'?: number | string;
  'max-files'?: number | string;
  concurrency?: number | string;
  'part-size'?: number | string;
  'auto-start'?: boolean;
  disabled?: boolean;
  'no-drop'?: boolean;
  'no-resume'?: boolean;
  'worker-url'?: string;
}

/** Each event the element fires, by name. */
export interface MultiCloudUploaderEventMap {
  'mcu-file-added': McuFileAddedEvent;
  'mcu-progress': McuProgressEvent;
  'mcu-complete': McuCompleteEvent;
  'mcu-error': McuErrorEvent;
  'mcu-warning': McuWarningEvent;
}

/** The events as camelCase handler props (`onMcuProgress`), as @lit/react and Vue's `@mcu-progress` name them. */
export interface MultiCloudUploaderEventProps {
  onMcuFileAdded?: (event: McuFileAddedEvent) => void;
  onMcuProgress?: (event: McuProgressEvent) => void;
  onMcuComplete?: (event: McuCompleteEvent) => void;
  onMcuError?: (event: McuErrorEvent) => void;
  onMcuWarning?: (event: McuWarningEvent) => void;
}
