/**
 * Effective rank of a representation: RankMe (Garrido, Balestriero, Najman & LeCun 2023,
 * "RankMe: Assessing the downstream performance of pretrained self-supervised representations by
 * their rank", ICML, arXiv:2210.02885, eq. 1).
 *
 *   Z: [N, D] embeddings (one row per example, not centred, as in the paper)
 *   sigma_1..sigma_K: the singular values of Z, K = min(N, D)
 *   p_k = sigma_k / ||sigma||_1 + eps            (eps = 1e-7, the paper's value)
 *   RankMe(Z) = exp(-sum_k p_k log p_k)          in [1, K]
 *
 * It is ~1 when every example maps to the same direction (complete collapse), ~r when the
 * embeddings span r equally used directions, and K for a full-rank, isotropic representation;
 * dimensional collapse (Jing et al. 2022) shows as a falling rank while the embedding std may not.
 *
 * TF.js has no SVD. The singular values are the square roots of the eigenvalues of the smaller
 * Gram matrix (Z^T Z, D x D, when N >= D; Z Z^T otherwise), built on the host in float64 and
 * decomposed with ml-matrix's symmetric eigensolver (Householder tridiagonalisation + implicit QL,
 * JAMA's tred2/tql2): about 70 ms for D = 128, 1.3 s for D = 512 on one 2020s CPU core.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** RankMe's epsilon: keeps log p_k finite for zero singular values (arXiv:2210.02885, eq. 1). */
export const RANKME_EPS = 1e-7;

/** exp(entropy) of the l1-normalised singular values (see the file header); 1 for all-zero input. */
export function effectiveRankFromSingularValues(sigma: ArrayLike<number>, eps = RANKME_EPS): number {
  let l1 = 0;
  for (let k = 0; k < sigma.length; k++) l1 += Math.abs(sigma[k]!);
  if (!(l1 > 0) || !Number.isFinite(l1)) return l1 === 0 ? 1 : Number.NaN;
  let entropy = 0;
  for (let k = 0; k < sigma.length; k++) {
    const p = Math.abs(sigma[k]!) / l1 + eps;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/**
 * Singular values of Z ([n, d], row-major), largest first, from the eigenvalues of the smaller
 * Gram matrix (float64). Eigenvalues that round-off pushes below zero count as 0.
 */
export function singularValues(z: ArrayLike<number>, n: number, d: number): Float64Array {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1) throw new Error(`singularValues: n and d must be positive integers, got n=${n}, d=${d}`);
  if (z.length !== n * d) throw new Error(`singularValues: got ${z.length} values, expected n*d = ${n * d}`);
  const gram = n >= d ? gramOfColumns(z, n, d) : gramOfRows(z, n, d);
  const { realEigenvalues } = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  return Float64Array.from(realEigenvalues, (lambda) => Math.sqrt(Math.max(0, lambda))).sort().reverse();
}

/** RankMe of Z ([n, d], row-major). Non-finite entries give NaN (a diverged run has no rank). */
export function effectiveRank(z: ArrayLike<number>, n: number, d: number, eps = RANKME_EPS): number {
  for (let i = 0; i < z.length; i++) if (!Number.isFinite(z[i]!)) return Number.NaN;
  return effectiveRankFromSingularValues(singularValues(z, n, d), eps);
}

/** Z^T Z: [d, d], G[a][b] = sum_i z[i, a] z[i, b]. */
function gramOfColumns(z: ArrayLike<number>, n: number, d: number): Matrix {
  const g = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) row[a] = z[i * d + a]!;
    for (let a = 0; a < d; a++) {
      const za = row[a]!;
      if (za === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) g[base + b] += za * row[b]!;
    }
  }
  return symmetricMatrix(g, d);
}

/** Z Z^T: [n, n], G[i][j] = sum_a z[i, a] z[j, a]. */
function gramOfRows(z: ArrayLike<number>, n: number, d: number): Matrix {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += z[i * d + a]! * z[j * d + a]!;
      g[i * n + j] = s;
    }
  }
  return symmetricMatrix(g, n);
}

/** A Matrix from the upper triangle of g ([m, m] row-major), mirrored. */
function symmetricMatrix(g: Float64Array, m: number): Matrix {
  const out = new Matrix(m, m);
  for (let a = 0; a < m; a++) {
    for (let b = a; b < m; b++) {
      const v = g[a * m + b]!;
      out.set(a, b, v);
      out.set(b, a, v);
    }
  }
  return out;
}
