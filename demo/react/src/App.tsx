import { useRef, useState } from 'react';
import { MultiCloudUploader } from 'multi-cloud-uploader/react';
import type { MultiCloudUploaderElement } from 'multi-cloud-uploader/react';
import type { McuCompleteEvent, McuErrorEvent, McuProgressEvent, McuWarningEvent } from 'multi-cloud-uploader';

interface Stored {
  name: string;
  key: string;
}

/** What a panel shows, updated from the element's events: every progress event renders the panel again. */
function useUploadState() {
  const [percent, setPercent] = useState(0);
  const [renders, setRenders] = useState(0);
  const [stored, setStored] = useState<Stored[]>([]);
  const [problem, setProblem] = useState<string>();
  return {
    view: { percent, renders, stored, problem },
    onProgress(event: McuProgressEvent) {
      const { bytesSent, bytesTotal } = event.detail.overall;
      setPercent(bytesTotal ? Math.floor((bytesSent / bytesTotal) * 100) : 0);
      setRenders((count) => count + 1);
    },
    onComplete(event: McuCompleteEvent) {
      const { file, result } = event.detail;
      setStored((list) => [...list, { name: file.name, key: String(result.key) }]);
    },
    onProblem(event: McuErrorEvent | McuWarningEvent) {
      setProblem(`${event.detail.error.code}: ${event.detail.error.message}`);
    },
  };
}

function Outcome({ view }: { view: ReturnType<typeof useUploadState>['view'] }) {
  return (
    <>
      <p className="percent">{view.percent}% uploaded</p>
      <p className="renders">Re-rendered {view.renders} times by progress events</p>
      <ul className="stored">
        {view.stored.map(({ name, key }) => (
          <li key={key}>
            {name} stored as {key}
          </li>
        ))}
      </ul>
      {view.problem && <p className="problem">{view.problem}</p>}
    </>
  );
}

/** The React component from `multi-cloud-uploader/react`: camelCase props, typed `onMcu*` handlers, a ref to the element. */
function ComponentPanel({ endpoint }: { endpoint: string }) {
  const uploader = useRef<MultiCloudUploaderElement>(null);
  const state = useUploadState();
  const [disabled, setDisabled] = useState(false);
  return (
    <section id="component">
      <h2>The component</h2>
      <MultiCloudUploader
        ref={uploader}
        disabled={disabled}
        provider="s3"
        endpoint={endpoint}
        multiple
        autoStart
        partSize={5 * 1024 * 1024}
        noResume
        adapterOptions={{ headers: { 'Accept-Language': 'en' } }}
        onMcuProgress={state.onProgress}
        onMcuComplete={state.onComplete}
        onMcuError={state.onProblem}
        onMcuWarning={state.onProblem}
      >
        <span slot="hint">Any file; parts of 5 MiB.</span>
      </MultiCloudUploader>
      <Outcome view={state.view} />
      <button type="button" onClick={() => uploader.current?.pauseAll()}>
        Pause all
      </button>
      <label>
        <input type="checkbox" className="disable" checked={disabled} onChange={(event) => setDisabled(event.target.checked)} />
        Disabled
      </label>
    </section>
  );
}

/** The bare tag, as React 19 renders custom elements: properties set as properties, `onmcu-*` listeners. */
function TagPanel({ endpoint }: { endpoint: string }) {
  const state = useUploadState();
  return (
    <section id="tag">
      <h2>The bare tag</h2>
      <multi-cloud-uploader
        provider="s3"
        endpoint={endpoint}
        multiple
        auto-start
        part-size={5 * 1024 * 1024}
        no-resume
        adapterOptions={{ headers: { 'Accept-Language': 'en' } }}
        onmcu-progress={state.onProgress}
        onmcu-complete={state.onComplete}
        onmcu-error={state.onProblem}
        onmcu-warning={state.onProblem}
      />
      <Outcome view={state.view} />
    </section>
  );
}

/** Both panels re-render on every progress event with an inline `adapterOptions` object: the pattern that must not drop uploads. */
export function App({ endpoint }: { endpoint: string }) {
  return (
    <main>
      <h1>Upload</h1>
      <ComponentPanel endpoint={endpoint} />
      <TagPanel endpoint={endpoint} />
    </main>
  );
}
