// `cem analyze` (run by `npm run build`) writes dist/custom-elements.json, which package.json's `customElements`
// points at: IDEs and framework tooling read the element's attributes, properties, events, slots and parts from it.
export default {
  globs: ['src/element/multi-cloud-uploader.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [
    {
      name: 'mcu-package-paths',
      // The manifest describes the package as installed: its modules are the built entry, not src/.
      packageLinkPhase({ customElementsManifest }) {
        for (const module of customElementsManifest.modules) {
          module.path = 'dist/multi-cloud-uploader.js';
          for (const declaration of module.declarations ?? []) {
            delete declaration.source;
            // Events the analyzer infers from `dispatchEvent(new McuErrorEvent(…))` have no name; the JSDoc lists them all.
            if (declaration.events) declaration.events = declaration.events.filter((event) => event.name);
          }
          for (const exported of module.exports ?? []) {
            if (exported.declaration?.module) exported.declaration.module = 'dist/multi-cloud-uploader.js';
          }
        }
      },
    },
  ],
};
