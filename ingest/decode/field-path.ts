/** Compiles "a.b.c" into a getter once, so decoding does no string splitting per record. */
export function fieldGetter(path: string): (rec: Record<string, unknown>) => unknown {
  if (!path.includes('.')) return (rec) => rec[path];
  const parts = path.split('.');
  return (rec) => {
    let v: unknown = rec;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  };
}
