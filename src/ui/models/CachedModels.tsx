import { useEffect, useId } from 'react';
import { useAppStore } from '../../store/store';
import { formatBytes } from '../common/format';

/** The panel's element id, for links to it (a load that failed on a full disk points here). */
export const cachedModelsId = 'cached-models';

/** The models downloaded into this browser, their sizes and a delete button each; the storage the site uses, and whether the browser keeps it. */
export function CachedModels() {
  const models = useAppStore((s) => s.cachedModels);
  const storage = useAppStore((s) => s.storage);
  const error = useAppStore((s) => s.cacheError);
  const refresh = useAppStore((s) => s.refreshCache);
  const remove = useAppStore((s) => s.deleteCachedModel);
  const persist = useAppStore((s) => s.persistStorage);
  const heading = useId();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <section id={cachedModelsId} className="panel cached-models" aria-labelledby={heading}>
      <h3 id={heading}>Models in this browser</h3>
      {models === undefined ? (
        <p className="muted">Looking…</p>
      ) : models.length === 0 ? (
        <p className="muted">
          None yet: a model from the Hub is kept here once downloaded, and loads offline after that.
        </p>
      ) : (
        <ul>
          {models.map((m) => (
            <li key={m.repo} data-repo={m.repo}>
              <span className="cached-repo">{m.repo}</span>
              <span className="muted">{m.revisions.join(', ')}</span>
              <span>{formatBytes(m.bytes)}</span>
              {m.partial && <span className="muted">download unfinished: loading it again resumes</span>}
              <button
                type="button"
                className="ghost"
                aria-label={`Delete ${m.repo}`}
                onClick={() => void remove(m.repo)}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {storage !== undefined && (
        <p data-value="storage">
          This site stores {formatBytes(storage.usage)} of the {formatBytes(storage.quota)} the browser allows it.{' '}
          {storage.persisted ? (
            'The browser keeps it even when space runs low.'
          ) : (
            <>
              The browser may clear it when space runs low.{' '}
              <button type="button" className="ghost" onClick={() => void persist()}>
                Keep downloads
              </button>
            </>
          )}
        </p>
      )}
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
