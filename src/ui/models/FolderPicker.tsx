import { useRef, useState } from 'react';
import { withinFolder, type PickedFile } from '../../models/picked-files';

type Picked = { name: string; files: PickedFile[] };

/** The files of a directory handle, with paths inside it (the File System Access API's picker). */
async function fromHandle(dir: FileSystemDirectoryHandle, prefix = ''): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  for await (const entry of dir.values()) {
    if (entry.kind === 'directory') out.push(...(await fromHandle(entry, `${prefix}${entry.name}/`)));
    else out.push({ path: `${prefix}${entry.name}`, file: await entry.getFile() });
  }
  return out;
}

/** The files under a dropped directory entry, with paths inside it. */
async function fromEntry(dir: FileSystemDirectoryEntry, prefix = ''): Promise<PickedFile[]> {
  const reader = dir.createReader();
  const entries: FileSystemEntry[] = [];
  // readEntries returns the entries in batches until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    entries.push(...batch);
  }
  const out: PickedFile[] = [];
  for (const entry of entries) {
    if (entry.isDirectory) out.push(...(await fromEntry(entry as FileSystemDirectoryEntry, `${prefix}${entry.name}/`)));
    else {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: `${prefix}${entry.name}`, file });
    }
  }
  return out;
}

type PickerWindow = Window & { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> };

/**
 * Picks a model folder from disk: the browser's directory picker where it has one, else an
 * `<input webkitdirectory>`; a folder dropped on it works everywhere.
 */
export function FolderPicker({
  label,
  picked,
  disabled,
  onPick,
}: {
  label: string;
  picked: Picked | undefined;
  disabled: boolean;
  onPick: (picked: Picked) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string>();
  const choose = async () => {
    const picker = (window as PickerWindow).showDirectoryPicker;
    if (picker === undefined) {
      input.current?.click();
      return;
    }
    try {
      const dir = await picker();
      onPick({ name: dir.name, files: await fromHandle(dir) });
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) setError(String(err));
    }
  };
  return (
    <div
      className="folder-picker"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        const entry = e.dataTransfer.items[0]?.webkitGetAsEntry();
        if (entry?.isDirectory !== true) {
          setError('drop a folder (a Hugging Face model folder), not a file');
          return;
        }
        fromEntry(entry as FileSystemDirectoryEntry).then(
          (files) => onPick({ name: entry.name, files }),
          (err: unknown) => setError(String(err)),
        );
      }}
    >
      <button type="button" className="ghost" disabled={disabled} onClick={() => void choose()}>
        Choose folder…
      </button>
      <input
        ref={(el) => {
          input.current = el;
          el?.setAttribute('webkitdirectory', '');
        }}
        type="file"
        multiple
        hidden
        aria-label={label}
        disabled={disabled}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          if (files.length === 0) return;
          const name = files[0].webkitRelativePath.split('/')[0] || 'folder';
          onPick({ name, files: files.map((file) => ({ path: withinFolder(file.webkitRelativePath), file })) });
        }}
      />
      <span className="hint">
        {picked === undefined
          ? 'or drop a model folder here (config.json, the tokenizer files, the safetensors weights)'
          : `${picked.name} · ${picked.files.length} files`}
      </span>
      {error !== undefined && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
