/** The `rel="next"` target of an RFC 8288 `Link` header, if any. */
export function nextLink(header: string | null): string | null {
  for (const [, target, params] of (header ?? '').matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) {
      return target;
    }
  }
  return null;
}
