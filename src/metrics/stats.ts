/**
 * Float64 linear algebra for the distribution metrics: feature means and covariances, a symmetric
 * eigendecomposition (Householder tridiagonalization, then implicit QR with Wilkinson shifts), the
 * symmetric matrix square root, and tr(sqrt(Σ1 Σ2)) for the Fréchet distance. Matrices are dense,
 * row-major Float64Arrays of size d·d.
 */

/** Rows in a row-major n × dim feature array, checking the shape. */
export function rowCount(feats: Float32Array, dim: number, what: string): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${what}: dim must be a positive integer, got ${dim}`);
  if (feats.length % dim !== 0) throw new Error(`${what}: ${feats.length} values is not a multiple of dim ${dim}`);
  return feats.length / dim;
}

export interface MeanCov {
  mean: Float64Array;
  /** Unbiased (n − 1) covariance, as numpy's np.cov used by the reference FID code. */
  cov: Float64Array;
  dim: number;
  n: number;
}

/** Mean and unbiased covariance of n row-major feature vectors of length dim. */
export function meanCov(feats: Float32Array | Float64Array, n: number, dim: number): MeanCov {
  if (!Number.isInteger(n) || !Number.isInteger(dim) || n < 2 || dim < 1) {
    throw new Error(`meanCov: need n >= 2 samples and dim >= 1, got n=${n}, dim=${dim}`);
  }
  if (feats.length < n * dim) throw new Error(`meanCov: features hold ${feats.length} values, need n·dim = ${n * dim}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let a = 0; a < dim; a++) mean[a]! += feats[row + a]!;
  }
  for (let a = 0; a < dim; a++) mean[a]! /= n;
  // Accumulate the upper triangle of Σ (x − μ)(x − μ)ᵀ one sample at a time, then mirror it.
  const cov = new Float64Array(dim * dim);
  const centered = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let a = 0; a < dim; a++) centered[a] = feats[row + a]! - mean[a]!;
    for (let a = 0; a < dim; a++) {
      const ca = centered[a]!;
      if (ca === 0) continue;
      const base = a * dim;
      for (let b = a; b < dim; b++) cov[base + b]! += ca * centered[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { mean, cov, dim, n };
}

/** C = A·B for d×d row-major matrices: dot products of A's rows with Bᵀ's rows, four accumulators. */
export function matMul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const bt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) bt[j * d + i] = b[i * d + j]!;
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const ai = i * d;
    for (let j = 0; j < d; j++) {
      const bj = j * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < d; k += 4) {
        s0 += a[ai + k]! * bt[bj + k]!;
        s1 += a[ai + k + 1]! * bt[bj + k + 1]!;
        s2 += a[ai + k + 2]! * bt[bj + k + 2]!;
        s3 += a[ai + k + 3]! * bt[bj + k + 3]!;
      }
      for (; k < d; k++) s0 += a[ai + k]! * bt[bj + k]!;
      c[ai + j] = s0 + s1 + s2 + s3;
    }
  }
  return c;
}

export function trace(a: Float64Array, d: number): number {
  let t = 0;
  for (let i = 0; i < d; i++) t += a[i * d + i]!;
  return t;
}

export interface SymEig {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Row i is the unit eigenvector of values[i] (so A = Vᵀ diag(values) V); absent when not asked for. */
  vectors?: Float64Array;
}

/**
 * Eigendecomposition of a symmetric d×d matrix. Only the lower/upper symmetry is assumed, not checked
 * beyond a cheap test; the input is not modified.
 */
export function symEig(matrix: Float64Array, d: number, opts: { vectors?: boolean } = {}): SymEig {
  if (matrix.length !== d * d) throw new Error(`symEig: matrix has ${matrix.length} values, expected ${d}×${d}`);
  const wantVectors = opts.vectors ?? true;
  const a = Float64Array.from(matrix);
  // z holds Qᵀ of A = Q T Qᵀ: row i is the i-th basis vector; it becomes the eigenvector rows.
  const z = wantVectors ? new Float64Array(d * d) : undefined;
  if (z) for (let i = 0; i < d; i++) z[i * d + i] = 1;
  const diag = new Float64Array(d);
  const off = new Float64Array(Math.max(d - 1, 0));
  tridiagonalize(a, d, diag, off, z);
  tridiagonalQr(diag, off, d, z);
  // Sort ascending, carrying eigenvector rows along.
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => diag[i]! - diag[j]!);
  const values = Float64Array.from(order, (i) => diag[i]!);
  if (!z) return { values };
  const vectors = new Float64Array(d * d);
  order.forEach((src, dst) => vectors.set(z.subarray(src * d, src * d + d), dst * d));
  return { values, vectors };
}

/**
 * Householder reduction A = Q T Qᵀ. Step k reflects x = A[k+1:, k] onto α·e1, applying the reflector
 * H = I − β v vᵀ from both sides to the trailing block with the symmetric rank-2 update
 * A ← A − v wᵀ − w vᵀ, w = p − (β/2)(vᵀp) v, p = β A v.
 */
function tridiagonalize(a: Float64Array, d: number, diag: Float64Array, off: Float64Array, z?: Float64Array): void {
  const v = new Float64Array(d);
  const p = new Float64Array(d);
  const w = new Float64Array(d);
  for (let k = 0; k < d - 2; k++) {
    let sigma2 = 0;
    for (let i = k + 1; i < d; i++) sigma2 += a[i * d + k]! ** 2;
    const x0 = a[(k + 1) * d + k]!;
    let tail2 = sigma2 - x0 * x0;
    if (tail2 <= 0) tail2 = 0;
    if (tail2 === 0) {
      off[k] = x0; // column already reduced
      continue;
    }
    const sigma = Math.sqrt(sigma2);
    const alpha = x0 >= 0 ? -sigma : sigma;
    for (let i = k + 1; i < d; i++) v[i] = a[i * d + k]!;
    v[k + 1] = x0 - alpha;
    const vtv = 2 * (sigma2 - alpha * x0);
    const beta = 2 / vtv;
    off[k] = alpha;
    // p = β A_sub v
    let vtp = 0;
    for (let i = k + 1; i < d; i++) {
      let s = 0;
      const row = i * d;
      for (let j = k + 1; j < d; j++) s += a[row + j]! * v[j]!;
      p[i] = beta * s;
      vtp += v[i]! * p[i]!;
    }
    const half = (beta / 2) * vtp;
    for (let i = k + 1; i < d; i++) w[i] = p[i]! - half * v[i]!;
    for (let i = k + 1; i < d; i++) {
      const row = i * d;
      const vi = v[i]!;
      const wi = w[i]!;
      for (let j = k + 1; j < d; j++) a[row + j]! -= vi * w[j]! + wi * v[j]!;
    }
    if (z) {
      // Qᵀ ← H Qᵀ: rows k+1.. change by −β v_i (vᵀ Qᵀ).
      const vz = p; // reuse as scratch of length d
      vz.fill(0);
      for (let i = k + 1; i < d; i++) {
        const vi = v[i]!;
        const row = i * d;
        for (let j = 0; j < d; j++) vz[j]! += vi * z[row + j]!;
      }
      for (let i = k + 1; i < d; i++) {
        const s = beta * v[i]!;
        const row = i * d;
        for (let j = 0; j < d; j++) z[row + j]! -= s * vz[j]!;
      }
    }
  }
  for (let i = 0; i < d; i++) diag[i] = a[i * d + i]!;
  if (d >= 2) off[d - 2] = a[(d - 1) * d + (d - 2)]!;
}

/**
 * Implicit symmetric QR on the tridiagonal (diag, off) with Wilkinson shifts (Golub & Van Loan 8.3).
 * Each step chases a bulge down the unreduced block [l, m] with Givens rotations P, T ← P T Pᵀ, and
 * the eigenvector rows follow as Z ← P Z. Leaves the eigenvalues in diag.
 */
function tridiagonalQr(diag: Float64Array, off: Float64Array, d: number, z?: Float64Array): void {
  const eps = Number.EPSILON;
  const negligible = (i: number) => Math.abs(off[i]!) <= eps * (Math.abs(diag[i]!) + Math.abs(diag[i + 1]!));
  let m = d - 1;
  let iterations = 0;
  const maxIterations = 60 * Math.max(d, 1);
  while (m > 0) {
    if (negligible(m - 1)) {
      off[m - 1] = 0;
      m--;
      continue;
    }
    let l = m - 1;
    while (l > 0 && !negligible(l - 1)) l--;
    if (l > 0) off[l - 1] = 0;
    if (++iterations > maxIterations) throw new Error(`symEig: QR iteration did not converge for a ${d}×${d} matrix`);
    // Wilkinson shift: the eigenvalue of the trailing 2×2 block closer to diag[m].
    const bm = off[m - 1]!;
    const delta = (diag[m - 1]! - diag[m]!) / 2;
    const denom = delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, bm);
    const mu = denom === 0 ? diag[m]! : diag[m]! - (bm * bm) / denom;
    let x = diag[l]! - mu;
    let y = off[l]!;
    for (let k = l; k < m; k++) {
      const r = Math.hypot(x, y);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : y / r;
      if (k > l) off[k - 1] = r;
      const p = diag[k]!;
      const q = off[k]!;
      const t = diag[k + 1]!;
      diag[k] = c * c * p + 2 * c * s * q + s * s * t;
      diag[k + 1] = s * s * p - 2 * c * s * q + c * c * t;
      off[k] = c * s * (t - p) + q * (c * c - s * s);
      if (k + 1 < m) {
        const next = off[k + 1]!;
        y = s * next; // the bulge at (k, k+2)
        off[k + 1] = c * next;
        x = off[k]!;
      }
      if (z) {
        const rk = k * d;
        const rk1 = (k + 1) * d;
        for (let j = 0; j < d; j++) {
          const zk = z[rk + j]!;
          const zk1 = z[rk1 + j]!;
          z[rk + j] = c * zk + s * zk1;
          z[rk1 + j] = c * zk1 - s * zk;
        }
      }
    }
  }
}

/** Symmetric PSD square root V diag(√max(λ, 0)) Vᵀ (tiny negative eigenvalues from rounding clip to 0). */
export function sqrtmSym(matrix: Float64Array, d: number): Float64Array {
  const { values, vectors } = symEig(matrix, d);
  const out = new Float64Array(d * d);
  const scaled = new Float64Array(d);
  for (let e = 0; e < d; e++) {
    const s = Math.sqrt(Math.max(values[e]!, 0));
    if (s === 0) continue;
    const row = e * d;
    for (let j = 0; j < d; j++) scaled[j] = s * vectors![row + j]!;
    for (let i = 0; i < d; i++) {
      const vi = vectors![row + i]!;
      if (vi === 0) continue;
      const oi = i * d;
      for (let j = 0; j < d; j++) out[oi + j]! += vi * scaled[j]!;
    }
  }
  return out;
}

/**
 * tr(sqrt(Σ1 Σ2)) for PSD Σ1, Σ2, computed stably as tr(sqrt(Σ1^½ Σ2 Σ1^½)): the inner matrix is
 * symmetric PSD and has the same eigenvalues as Σ1 Σ2.
 */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  const root1 = sqrtmSym(s1, d);
  const inner = matMul(matMul(root1, s2, d), root1, d);
  // Symmetrize away rounding asymmetry before the symmetric solver.
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const v = (inner[i * d + j]! + inner[j * d + i]!) / 2;
      inner[i * d + j] = v;
      inner[j * d + i] = v;
    }
  }
  const { values } = symEig(inner, d, { vectors: false });
  let t = 0;
  for (const v of values) t += Math.sqrt(Math.max(v, 0));
  return t;
}
