/**
 * Seeded, serializable random numbers (xoshiro128**). Every random draw in Gantry (latents, shuffles,
 * initial weights, gradient-penalty mixes) comes from an Rng so that a run is reproducible and a resumed
 * run continues the exact stream: the whole state is four uint32 words.
 */
export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;

  constructor(seed: number | RngState) {
    this.s = new Uint32Array(4);
    if (typeof seed === 'number') {
      const next = splitmix32(seed);
      for (let i = 0; i < 4; i++) this.s[i] = next();
      if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    } else {
      this.s.set(seed);
    }
  }

  /** A child stream, independent of this one, derived from a label (e.g. 'data', 'latent'). */
  fork(label: string): Rng {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619) >>> 0;
    return new Rng((this.nextU32() ^ h) >>> 0);
  }

  getState(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  setState(state: RngState): void {
    this.s.set(state);
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    const span = hi - lo;
    for (let i = 0; i < n; i++) out[i] = lo + span * this.uniform();
    return out;
  }

  /** Standard normal draws (Box–Muller, both outputs used). */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      let u1 = this.uniform();
      if (u1 < 1e-12) u1 = 1e-12;
      const u2 = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /**
   * n class ids drawn by `weights` (any non-negative numbers, e.g. shares of the data); one uniform
   * draw each. Without weights, uniform over `classes` with int(classes), the stream labels always used.
   */
  categoricalArray(n: number, classes: number, weights?: readonly number[]): Int32Array {
    const out = new Int32Array(n);
    if (!weights) {
      for (let i = 0; i < n; i++) out[i] = this.int(classes);
      return out;
    }
    if (weights.length !== classes || !weights.every((w) => w >= 0) || !(weights.reduce((a, b) => a + b, 0) > 0)) {
      throw new Error(`categoricalArray: need ${classes} non-negative weights with a positive sum, got [${weights.join(', ')}]`);
    }
    const cumulative: number[] = [];
    weights.reduce((sum, w) => (cumulative.push(sum + w), sum + w), 0);
    const total = cumulative[classes - 1]!;
    for (let i = 0; i < n; i++) {
      const u = this.uniform() * total;
      let c = 0;
      while (c < classes - 1 && u >= cumulative[c]!) c++;
      out[i] = c;
    }
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
