/**
 * `multi-cloud-uploader/vue`: registers the element and types it for Vue templates. With `vueCompilerOptions:
 * { strictTemplates: true }` in tsconfig, vue-tsc then refuses unknown attributes, wrong prop types and handlers
 * for the wrong `@mcu-*` event.
 */
import type { DefineComponent } from 'vue';
import './element/multi-cloud-uploader.js';
import type { MultiCloudUploaderEventProps, MultiCloudUploaderProperties } from './element/element-types.js';

/** The tag is a custom element, not a Vue component: pass this to the template compiler's `isCustomElement`. */
export function isCustomElement(tag: string): boolean {
  return tag === 'multi-cloud-uploader';
}

/** What a Vue template may bind on the element (kebab-case attributes map onto these camelCase names). */
export type MultiCloudUploaderVueProps = MultiCloudUploaderProperties & MultiCloudUploaderEventProps;

declare module 'vue' {
  interface GlobalComponents {
    'multi-cloud-uploader': DefineComponent<MultiCloudUploaderVueProps>;
  }
}
