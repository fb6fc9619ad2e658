/** What the serving agent wrote into index.html (see ui-assets.ts): the content path and its datacenter. */
export interface PageSettings {
  /** The content path with both slashes, e.g. `/ui/`. */
  readonly root: string;
  /** The serving agent's datacenter. */
  readonly datacenter: string;
}

/** Reads the page settings from `<meta name="sextant-ui">`; defaults when run outside an agent. */
export function readSettings(doc: Document): PageSettings {
  const raw = doc.querySelector('meta[name="sextant-ui"]')?.getAttribute('content') ?? '';
  try {
    const parsed = JSON.parse(raw) as Partial<PageSettings>;
    return { root: parsed.root ?? '/ui/', datacenter: parsed.datacenter ?? 'dc1' };
  } catch {
    return { root: '/ui/', datacenter: 'dc1' };
  }
}

export const settings: PageSettings = readSettings(document);
