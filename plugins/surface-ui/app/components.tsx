import type { ComponentChildren } from 'preact';
import type { ApiError } from './api.js';

/** An error from the agent, announced to screen readers. */
export function ErrorBanner({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div class="banner error" role="alert" data-status={error.status}>
      {error.describe()}
    </div>
  );
}

/** A check status as a coloured, labelled badge (never colour alone). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const cls = status === 'passing' ? 'passing' : status === 'warning' ? 'warning' : 'critical';
  const mark = cls === 'passing' ? '✔' : cls === 'warning' ? '!' : '✖';
  return (
    <span class={`badge ${cls}`} data-status={status}>
      <span aria-hidden="true">{mark} </span>
      {label ?? status}
    </span>
  );
}

/** Tags as chips; nothing for none. */
export function Tags({ tags }: { tags: readonly string[] | null | undefined }) {
  if (!tags || tags.length === 0) return null;
  return (
    <ul class="tags" aria-label="tags">
      {tags.map((t) => (
        <li key={t}>{t}</li>
      ))}
    </ul>
  );
}

/** A key/value map (service or node meta) as a definition list. */
export function MetaList({ meta, label }: { meta: Record<string, string> | null | undefined; label: string }) {
  const entries = Object.entries(meta ?? {});
  if (entries.length === 0) return null;
  return (
    <dl class="meta" aria-label={label}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A page's heading block. */
export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1 tabIndex={-1} id="page-title">
        {title}
      </h1>
      {children}
    </header>
  );
}

/** Shown until the first answer. */
export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}
