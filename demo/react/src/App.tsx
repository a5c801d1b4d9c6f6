import { useRef, useState } from 'react';
import { MultiCloudUploader } from 'multi-cloud-uploader/react';
import type { MultiCloudUploaderElement } from 'multi-cloud-uploader/react';

interface Stored {
  name: string;
  key: string;
}

/** Re-renders on every progress event, with an inline `adapterOptions` object: the pattern that must not drop uploads. */
export function App({ endpoint }: { endpoint: string }) {
  const uploader = useRef<MultiCloudUploaderElement>(null);
  const [percent, setPercent] = useState(0);
  const [renders, setRenders] = useState(0);
  const [stored, setStored] = useState<Stored[]>([]);
  const [problem, setProblem] = useState<string>();

  return (
    <main>
      <h1>Upload</h1>
      <MultiCloudUploader
        ref={uploader}
        provider="s3"
        endpoint={endpoint}
        multiple
        autoStart
        partSize={5 * 1024 * 1024}
        noResume
        adapterOptions={{ headers: { 'Accept-Language': 'en' } }}
        onMcuProgress={(event) => {
          const { bytesSent, bytesTotal } = event.detail.overall;
          setPercent(bytesTotal ? Math.floor((bytesSent / bytesTotal) * 100) : 0);
          setRenders((count) => count + 1);
        }}
        onMcuComplete={(event) => {
          const { file, result } = event.detail;
          setStored((list) => [...list, { name: file.name, key: String(result.key) }]);
        }}
        onMcuError={(event) => setProblem(`${event.detail.error.code}: ${event.detail.error.message}`)}
        onMcuWarning={(event) => setProblem(`${event.detail.error.code}: ${event.detail.error.message}`)}
      >
        <span slot="hint">Any file; parts of 5 MiB.</span>
      </MultiCloudUploader>
      <p id="percent">{percent}% uploaded</p>
      <p id="renders">Re-rendered {renders} times by progress events</p>
      <ul id="stored">
        {stored.map(({ name, key }) => (
          <li key={key}>
            {name} stored as {key}
          </li>
        ))}
      </ul>
      {problem && <p id="problem">{problem}</p>}
      <button type="button" onClick={() => uploader.current?.pauseAll()}>
        Pause all
      </button>
    </main>
  );
}
