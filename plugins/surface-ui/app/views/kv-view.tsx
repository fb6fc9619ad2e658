import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiUrl, pathPart, request } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, PageHeader } from '../components.js';
import type { KvPair, Session } from '../model.js';
import { href, navigate } from '../router.js';

/** A KV value as text: UTF-8, or undefined when the bytes are not UTF-8 (binary values are not edited here). */
export function decodeValue(b64: string | null): string | undefined {
  if (b64 === null || b64 === '') return '';
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Why `text` is not JSON (JSON.parse's message), or undefined when it is. */
export function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, String(e));
}

/** The parent folder of a key or folder path (`a/b/c` → `a/b/`, `a/b/` → `a/`, `a` → ``). */
export function parentOf(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? '' : trimmed.slice(0, i + 1);
}

/** Key/Value: a folder (path '' or ending in `/`) or one key. */
export function KvView({ dc, path }: { dc: string; path: string }) {
  return path === '' || path.endsWith('/') ? <KvFolder dc={dc} path={path} /> : <KvKey dc={dc} path={path} />;
}

function Breadcrumbs({ dc, path }: { dc: string; path: string }) {
  const parts = path.split('/').filter((p) => p !== '');
  const crumbs: { label: string; to: string }[] = [{ label: 'Key/Value', to: '' }];
  let acc = '';
  parts.forEach((p, i) => {
    const folder = i < parts.length - 1 || path.endsWith('/');
    acc += folder ? `${p}/` : p;
    crumbs.push({ label: p, to: acc });
  });
  return (
    <nav aria-label="Breadcrumb" class="breadcrumbs">
      <ol>
        {crumbs.map((c, i) => (
          <li key={c.to}>{i === crumbs.length - 1 ? <span aria-current="page">{c.label}</span> : <a href={href({ view: 'kv', dc, path: c.to })}>{c.label}</a>}</li>
        ))}
      </ol>
    </nav>
  );
}

function KvFolder({ dc, path }: { dc: string; path: string }) {
  const keys = useFollowed<string[]>(apiUrl(`kv/${pathPart(path)}`, dc, { keys: true, separator: '/' }));
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<ApiError | undefined>(undefined);
  const children = (keys.data ?? []).filter((k) => k !== path);
  const deleteFolder = async (): Promise<void> => {
    try {
      await request('DELETE', apiUrl(`kv/${pathPart(path)}`, dc, { recurse: true }));
      navigate(href({ view: 'kv', dc, path: parentOf(path) }));
    } catch (e) {
      setFailure(toApiError(e));
    }
  };
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={path === '' ? 'Key/Value' : path}>
        <Breadcrumbs dc={dc} path={path} />
      </PageHeader>
      <ErrorBanner error={keys.error ?? failure} />
      {path !== '' ? (
        <div class="actions">
          {confirming ? (
            <div role="alertdialog" aria-labelledby="confirm-folder" class="confirm">
              <p id="confirm-folder">Delete the folder {path} and every key under it?</p>
              <button type="button" class="danger" id="confirm-delete" onClick={() => void deleteFolder()}>
                Delete folder and contents
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" class="danger" id="delete-folder" onClick={() => setConfirming(true)}>
              Delete folder
            </button>
          )}
        </div>
      ) : null}
      {keys.data === undefined ? (
        <Loading what="keys" />
      ) : children.length === 0 ? (
        <p class="muted">This folder is empty.</p>
      ) : (
        <ul class="kv-list" id="kv-list" data-loaded="true">
          {children.map((k) => (
            <li key={k} data-key={k}>
              <a href={href({ view: 'kv', dc, path: k })}>
                <span aria-hidden="true">{k.endsWith('/') ? '📁 ' : '🔑 '}</span>
                {k.slice(path.length)}
              </a>
            </li>
          ))}
        </ul>
      )}
      <CreateKey dc={dc} folder={path} />
    </section>
  );
}

function CreateKey({ dc, folder }: { dc: string; folder: string }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [asJson, setAsJson] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<ApiError | undefined>(undefined);
  const isFolder = name.endsWith('/');
  const invalid = asJson && !isFolder ? jsonProblem(value) : undefined;
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setFailure(undefined);
    setProblem(undefined);
    if (name.trim() === '' || name.startsWith('/')) return setProblem('Enter a key name (a name ending in / creates a folder).');
    if (invalid !== undefined) return;
    const key = folder + name;
    try {
      const a = await request<boolean>('PUT', apiUrl(`kv/${pathPart(key)}`, dc, { cas: 0 }), { body: isFolder ? '' : value });
      if (a.data !== true) return setProblem(`${key} already exists.`);
      setName('');
      setValue('');
      navigate(href({ view: 'kv', dc, path: isFolder ? folder : key }));
    } catch (err) {
      setFailure(toApiError(err));
    }
  };
  return (
    <form class="editor" onSubmit={(e) => void submit(e)} aria-labelledby="create-title">
      <h2 id="create-title">Create</h2>
      <ErrorBanner error={failure} />
      {problem ? (
        <p class="banner error" role="alert">
          {problem}
        </p>
      ) : null}
      <label>
        <span>Key or folder (ends in /) under {folder === '' ? 'the root' : folder}</span>
        <input name="key" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </label>
      {isFolder ? null : <ValueEditor value={value} setValue={setValue} asJson={asJson} setAsJson={setAsJson} invalid={invalid} id="new" />}
      <button type="submit" class="primary" disabled={invalid !== undefined}>
        {isFolder ? 'Create folder' : 'Create key'}
      </button>
    </form>
  );
}

function ValueEditor(p: { value: string; setValue: (v: string) => void; asJson: boolean; setAsJson: (b: boolean) => void; invalid: string | undefined; id: string }) {
  return (
    <>
      <label>
        <span>Value</span>
        <textarea
          name="value"
          rows={8}
          spellcheck={false}
          value={p.value}
          aria-invalid={p.invalid !== undefined}
          aria-describedby={p.invalid !== undefined ? `${p.id}-json-error` : undefined}
          onInput={(e) => p.setValue((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <label class="inline">
        <input type="checkbox" name="json" checked={p.asJson} onChange={(e) => p.setAsJson((e.target as HTMLInputElement).checked)} /> JSON (validate)
      </label>
      {p.invalid !== undefined ? (
        <p class="field-error" id={`${p.id}-json-error`} role="alert">
          Not valid JSON: {p.invalid}
        </p>
      ) : null}
    </>
  );
}

function KvKey({ dc, path }: { dc: string; path: string }) {
  const [pair, setPair] = useState<KvPair | null | undefined>(undefined);
  const [value, setValue] = useState('');
  const [asJson, setAsJson] = useState(false);
  const [failure, setFailure] = useState<ApiError | undefined>(undefined);
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [lockNode, setLockNode] = useState<string | undefined>(undefined);
  const load = async (): Promise<void> => {
    setFailure(undefined);
    setConflict(false);
    try {
      const a = await request<KvPair[]>('GET', apiUrl(`kv/${pathPart(path)}`, dc));
      const p = a.data?.[0] ?? null;
      setPair(p);
      const text = p ? decodeValue(p.Value) : '';
      setValue(text ?? '');
      setAsJson(text !== undefined && text.trim() !== '' && jsonProblem(text) === undefined);
    } catch (e) {
      setFailure(toApiError(e));
    }
  };
  useEffect(() => {
    setPair(undefined);
    setSaved(false);
    void load();
  }, [dc, path]);
  useEffect(() => {
    setLockNode(undefined);
    if (!pair?.Session) return;
    let live = true;
    request<Session[]>('GET', apiUrl(`session/info/${encodeURIComponent(pair.Session)}`, dc)).then(
      (a) => live && setLockNode(a.data?.[0]?.Node),
      () => undefined,
    );
    return () => void (live = false);
  }, [pair?.Session, dc]);
  const binary = pair ? decodeValue(pair.Value) === undefined : false;
  const invalid = asJson ? jsonProblem(value) : undefined;
  const save = async (overwrite: boolean): Promise<void> => {
    if (!pair || invalid !== undefined) return;
    setFailure(undefined);
    setSaved(false);
    try {
      const params = overwrite ? { flags: pair.Flags } : { cas: pair.ModifyIndex, flags: pair.Flags };
      const a = await request<boolean>('PUT', apiUrl(`kv/${pathPart(path)}`, dc, params), { body: value });
      if (a.data !== true) {
        setConflict(true);
        return;
      }
      setConflict(false);
      const fresh = await request<KvPair[]>('GET', apiUrl(`kv/${pathPart(path)}`, dc));
      setPair(fresh.data?.[0] ?? null);
      setSaved(true);
    } catch (e) {
      setFailure(toApiError(e));
    }
  };
  const remove = async (): Promise<void> => {
    try {
      await request('DELETE', apiUrl(`kv/${pathPart(path)}`, dc));
      navigate(href({ view: 'kv', dc, path: parentOf(path) }));
    } catch (e) {
      setFailure(toApiError(e));
    }
  };
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={path}>
        <Breadcrumbs dc={dc} path={path} />
      </PageHeader>
      <ErrorBanner error={failure} />
      {pair === undefined ? (
        <Loading what="key" />
      ) : pair === null ? (
        <p class="muted" id="kv-missing">
          There is no key {path}. <a href={href({ view: 'kv', dc, path: parentOf(path) })}>Back to its folder</a>
        </p>
      ) : (
        <>
          <dl class="facts" id="kv-facts">
            <div>
              <dt>Flags</dt>
              <dd data-field="flags">{pair.Flags}</dd>
            </div>
            <div>
              <dt>Create index</dt>
              <dd data-field="create-index">{pair.CreateIndex}</dd>
            </div>
            <div>
              <dt>Modify index</dt>
              <dd data-field="modify-index">{pair.ModifyIndex}</dd>
            </div>
            <div>
              <dt>Lock index</dt>
              <dd data-field="lock-index">{pair.LockIndex}</dd>
            </div>
            <div>
              <dt>Lock session</dt>
              <dd data-field="session">
                {pair.Session ? (
                  lockNode ? (
                    <a class="mono" href={`${href({ view: 'node', dc, name: lockNode })}#session-${pair.Session}`}>
                      {pair.Session}
                    </a>
                  ) : (
                    <span class="mono">{pair.Session}</span>
                  )
                ) : (
                  'none'
                )}
              </dd>
            </div>
          </dl>
          {conflict ? (
            <div class="banner error" role="alert" id="cas-conflict">
              <p>This key changed since you opened it. Reload it to see the current value, or overwrite it with yours.</p>
              <button type="button" onClick={() => void load()}>
                Reload
              </button>{' '}
              <button type="button" class="danger" onClick={() => void save(true)}>
                Overwrite
              </button>
            </div>
          ) : null}
          {saved ? (
            <p class="banner ok" role="status" id="kv-saved">
              Saved.
            </p>
          ) : null}
          {binary ? (
            <p class="muted">This value is binary ({atob(pair.Value ?? '').length} bytes) and is not edited here.</p>
          ) : (
            <form
              class="editor"
              onSubmit={(e) => {
                e.preventDefault();
                void save(false);
              }}
            >
              <ValueEditor value={value} setValue={setValue} asJson={asJson} setAsJson={setAsJson} invalid={invalid} id="edit" />
              <button type="submit" class="primary" disabled={invalid !== undefined}>
                Save
              </button>
            </form>
          )}
          <div class="actions">
            {confirming ? (
              <div role="alertdialog" aria-labelledby="confirm-key" class="confirm">
                <p id="confirm-key">Delete the key {path}?</p>
                <button type="button" class="danger" id="confirm-delete" onClick={() => void remove()}>
                  Delete key
                </button>{' '}
                <button type="button" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            ) : (
              <button type="button" class="danger" id="delete-key" onClick={() => setConfirming(true)}>
                Delete
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
