import { expect, html, oneEvent, waitUntil } from '@open-wc/testing';
import { fileOf, memoryAdapter, part, removeUploaders, uploader } from '../helpers/element-fixture.js';

/** A folder as `webkitGetAsEntry()` gives it, answering `readEntries` in batches of `batch` like Chromium (100). */
function folderEntry(path: string, children: object[], batch = 2): object {
  return {
    isDirectory: true,
    isFile: false,
    fullPath: path,
    createReader() {
      let next = 0;
      return {
        readEntries(resolve: (entries: object[]) => void) {
          const slice = children.slice(next, next + batch);
          next += slice.length;
          setTimeout(() => resolve(slice));
        },
      };
    },
  };
}

function fileEntry(path: string, size: number): object {
  const name = path.split('/').at(-1)!;
  return { isDirectory: false, isFile: true, fullPath: path, file: (resolve: (file: File) => void) => resolve(fileOf(size, name)) };
}

/**
 * A drop of `entries`. Chromium gives a page no way to make a real folder entry (DataTransferItem only wraps Files), so
 * the items are stand-ins with `webkitGetAsEntry()` over a real DataTransfer that carries the "Files" type.
 */
function folderDrop(entries: object[]): DragEvent {
  const transfer = new DataTransfer();
  transfer.items.add(fileOf(1, 'placeholder'));
  const items = entries.map((entry) => ({ kind: 'file', getAsFile: () => null, webkitGetAsEntry: () => entry }));
  Object.defineProperty(transfer, 'items', { value: items });
  return new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
}

function pasteOf(name: string): ClipboardEvent {
  const data = new DataTransfer();
  data.items.add(fileOf(3, name));
  return new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
}

describe('folders and paste', () => {
  afterEach(removeUploaders);

  it('adds every file of a dropped folder, recursively, with its relative path', async () => {
    const el = await uploader(memoryAdapter());
    const tree = folderEntry('/holiday', [
      fileEntry('/holiday/cover.jpg', 5),
      folderEntry('/holiday/day-1', [fileEntry('/holiday/day-1/beach.jpg', 6), fileEntry('/holiday/day-1/sea.jpg', 7), fileEntry('/holiday/day-1/sun.jpg', 8)]),
      fileEntry('/holiday/notes.txt', 9),
    ]);
    const added: string[] = [];
    el.addEventListener('mcu-file-added', (event) => added.push(event.detail.file.webkitRelativePath));
    part(el, 'drop-zone').dispatchEvent(folderDrop([tree, fileEntry('/loose.bin', 3)]));
    await waitUntil(() => el.files.length === 6, 'folder not added', { timeout: 5000 });
    expect(el.files.map((task) => [task.file.name, task.file.webkitRelativePath])).to.deep.equal([
      ['cover.jpg', 'holiday/cover.jpg'],
      ['beach.jpg', 'holiday/day-1/beach.jpg'],
      ['sea.jpg', 'holiday/day-1/sea.jpg'],
      ['sun.jpg', 'holiday/day-1/sun.jpg'],
      ['notes.txt', 'holiday/notes.txt'],
      ['loose.bin', ''],
    ]);
    expect(added).to.include('holiday/day-1/sea.jpg');
  });

  it('offers a folder picker with directory, which takes the whole folder', async () => {
    const plain = await uploader(memoryAdapter());
    expect(plain.shadowRoot!.querySelector('[part~="folder-button"]')).to.equal(null);

    const el = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume directory></multi-cloud-uploader>`);
    const button = part<HTMLButtonElement>(el, 'folder-button');
    expect(button.textContent!.trim()).to.equal('Choose folder');
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('input[webkitdirectory]')!;
    const opened = oneEvent(input, 'click');
    button.click();
    await opened;
    const chosen = new DataTransfer();
    chosen.items.add(fileOf(2, 'a.jpg'));
    chosen.items.add(fileOf(2, 'b.jpg'));
    input.files = chosen.files;
    input.dispatchEvent(new Event('change'));
    await waitUntil(() => el.files.length === 2, 'folder files not added');
  });

  it('takes files pasted anywhere on the page only with paste-target="document"', async () => {
    const local = await uploader(memoryAdapter());
    const everywhere = await uploader(memoryAdapter(), html`<multi-cloud-uploader no-resume paste-target="document"></multi-cloud-uploader>`);
    const outside = document.createElement('p');
    outside.tabIndex = 0;
    document.body.append(outside);
    try {
      outside.dispatchEvent(pasteOf('from-page.png'));
      await waitUntil(() => everywhere.files.length === 1, 'page paste not taken');
      expect(everywhere.files[0].file.name).to.equal('from-page.png');
      expect(local.files).to.have.length(0);

      // A paste inside one element is that element's, not also the page-wide one's.
      local.dispatchEvent(pasteOf('inside.png'));
      await waitUntil(() => local.files.length === 1);
      expect(everywhere.files).to.have.length(1);
    } finally {
      outside.remove();
    }
  });
});
