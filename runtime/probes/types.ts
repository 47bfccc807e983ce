/** Features of a labelled split as plain host arrays: what probes consume. */
export interface Features {
  /** n * d values, row-major: row i is example i. */
  x: Float32Array;
  /** n labels in [0, numClasses). */
  y: Int32Array;
  n: number;
  d: number;
}

/** Throws a clear error unless `f` is consistent and its labels lie in [0, numClasses). */
export function checkFeatures(f: Features, numClasses: number, what: string): void {
  if (!Number.isInteger(f.n) || f.n < 1 || !Number.isInteger(f.d) || f.d < 1) {
    throw new Error(`${what}: n and d must be positive integers, got n=${f.n}, d=${f.d}`);
  }
  if (f.x.length !== f.n * f.d) throw new Error(`${what}: x has ${f.x.length} values, expected n*d = ${f.n * f.d}`);
  if (f.y.length !== f.n) throw new Error(`${what}: y has ${f.y.length} labels, expected n = ${f.n}`);
  for (let i = 0; i < f.n; i++) {
    const c = f.y[i];
    if (c < 0 || c >= numClasses) throw new Error(`${what}: label ${c} at row ${i} is outside [0, ${numClasses})`);
  }
}
