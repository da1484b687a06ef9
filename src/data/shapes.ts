/**
 * The procedural `shapes` benchmark for text-to-image: a 32×32 RGB image, black background, exactly one
 * filled shape, and a caption naming its shape, colour, size and position.
 *
 * - shape ∈ {circle, square, triangle} (triangle: apex at the top-centre of its box, base along the bottom);
 *   colour ∈ {red, green, blue, yellow, magenta, cyan, white} as (r, g, b) ∈ {0, 1}³, times a brightness
 *   drawn uniformly in [0.75, 1]; size small (box side 7–9 px) or large (13–16 px); position top left,
 *   top right, bottom left, bottom right or center: box centre (x, y) = (9, 9), (23, 9), (9, 23), (23, 23),
 *   (16, 16) in pixel indices (y downwards), each coordinate jittered by an integer in [−1, 1].
 * - A pixel is filled when at least half of its 4×4 sub-samples fall inside the continuous shape (pixel i
 *   covers [i − ½, i + ½)). A box of odd side s is centred on its centre pixel; one of even side starts
 *   on a pixel edge, so it spans exactly s pixels with its middle half a pixel up-left of the centre.
 * - Splits (indices in the order above: shape 0–2, colour 0–6, size 0–1, position 0–4): the 42
 *   combinations with (shape + 2·colour + 3·size + 4·position) mod 5 = 0 never appear in training; the
 *   `unseen` test split holds only those, the `seen` test split the other 168 (as does `train`).
 * - Captions come from templates with synonyms and word orders ("a small red circle in the top left",
 *   "big blue square, bottom right", "there is a tiny cyan triangle in the middle").
 */
import { Rng } from '../core/rng.ts';
import type { ImageSet } from './dataset.ts';

export const SHAPES_IMAGE_SIZE = 32;
export const SHAPE_NAMES = ['circle', 'square', 'triangle'] as const;
export const COLOUR_NAMES = ['red', 'green', 'blue', 'yellow', 'magenta', 'cyan', 'white'] as const;
export const COLOUR_RGB: readonly (readonly [number, number, number])[] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]];
export const SIZE_NAMES = ['small', 'large'] as const;
/** Box side range (inclusive) per size. */
export const SIZE_SIDES: readonly (readonly [number, number])[] = [[7, 9], [13, 16]];
export const POSITION_NAMES = ['top left', 'top right', 'bottom left', 'bottom right', 'center'] as const;
export const POSITION_CENTRES: readonly (readonly [number, number])[] = [[9, 9], [23, 9], [9, 23], [23, 23], [16, 16]];
export const SHAPES_SPLITS = ['train', 'seen', 'unseen'] as const;
export type ShapesSplit = (typeof SHAPES_SPLITS)[number];

/** One combination of the four attributes, by index. */
export interface ShapeAttributes {
  shape: number;
  colour: number;
  size: number;
  position: number;
}

/** The 42 combinations held out of training (compositional generalization). */
export function isUnseenCombination(a: ShapeAttributes): boolean {
  return (a.shape + 2 * a.colour + 3 * a.size + 4 * a.position) % 5 === 0;
}

/** Every combination of a split, in index order (shape slowest … position fastest). */
export function splitCombinations(split: ShapesSplit): ShapeAttributes[] {
  const out: ShapeAttributes[] = [];
  for (let shape = 0; shape < SHAPE_NAMES.length; shape++) {
    for (let colour = 0; colour < COLOUR_NAMES.length; colour++) {
      for (let size = 0; size < SIZE_NAMES.length; size++) {
        for (let position = 0; position < POSITION_NAMES.length; position++) {
          const a = { shape, colour, size, position };
          if (isUnseenCombination(a) === (split === 'unseen')) out.push(a);
        }
      }
    }
  }
  return out;
}

/** What was drawn for one image besides its attributes. */
export interface ShapeGeometry {
  side: number;
  centreX: number;
  centreY: number;
  brightness: number;
}

function insideShape(shape: number, g: ShapeGeometry, x: number, y: number): boolean {
  const h = g.side / 2;
  // An even side cannot be centred on a pixel: its box starts on a pixel edge, half a pixel up-left.
  const shift = g.side % 2 === 0 ? 0.5 : 0;
  const dx = x - (g.centreX - shift);
  const dy = y - (g.centreY - shift);
  if (shape === 0) return dx * dx + dy * dy <= h * h;
  if (dy < -h || dy >= h || dx < -h || dx >= h) return false;
  if (shape === 1) return true;
  // Triangle: apex at (cx, top), base corners at (cx ± h, bottom); half-width grows linearly downwards.
  const t = (dy + h) / g.side;
  return Math.abs(dx) <= h * t;
}

/** Draws one image into `out` (32·32·3 bytes, HWC) and returns its geometry. */
export function renderShape(a: ShapeAttributes, rng: Rng, out: Uint8Array): ShapeGeometry {
  const [lo, hi] = SIZE_SIDES[a.size]!;
  const side = lo + Math.floor(rng.uniform() * (hi - lo + 1));
  const [bx, by] = POSITION_CENTRES[a.position]!;
  const jitter = () => Math.floor(rng.uniform() * 3) - 1;
  const g: ShapeGeometry = { side, centreX: bx + jitter(), centreY: by + jitter(), brightness: 0.75 + 0.25 * rng.uniform() };
  const rgb = COLOUR_RGB[a.colour]!.map((c) => Math.round(255 * c * g.brightness));
  const S = SHAPES_IMAGE_SIZE;
  out.fill(0);
  const sub = 4;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let hits = 0;
      for (let sy = 0; sy < sub; sy++) {
        for (let sx = 0; sx < sub; sx++) {
          if (insideShape(a.shape, g, x - 0.5 + (sx + 0.5) / sub, y - 0.5 + (sy + 0.5) / sub)) hits++;
        }
      }
      if (hits * 2 >= sub * sub) {
        const o = (y * S + x) * 3;
        out[o] = rgb[0]!;
        out[o + 1] = rgb[1]!;
        out[o + 2] = rgb[2]!;
      }
    }
  }
  return g;
}

const SIZE_WORDS: readonly (readonly string[])[] = [['small', 'tiny', 'little'], ['large', 'big']];
const SHAPE_WORDS: readonly (readonly string[])[] = [['circle'], ['square', 'box'], ['triangle']];
const POSITION_WORDS: readonly (readonly string[])[] = [
  ['top left', 'upper left'],
  ['top right', 'upper right'],
  ['bottom left', 'lower left'],
  ['bottom right', 'lower right'],
  ['center', 'centre', 'middle'],
];
const TEMPLATES: readonly ((w: { size: string; colour: string; shape: string; pos: string }) => string)[] = [
  (w) => `a ${w.size} ${w.colour} ${w.shape} in the ${w.pos}`,
  (w) => `${w.size} ${w.colour} ${w.shape}, ${w.pos}`,
  (w) => `there is a ${w.size} ${w.colour} ${w.shape} in the ${w.pos}`,
  (w) => `in the ${w.pos} there is a ${w.size} ${w.colour} ${w.shape}`,
  (w) => `a ${w.colour} ${w.shape}, ${w.size}, in the ${w.pos}`,
  (w) => `${w.pos}: a ${w.size} ${w.colour} ${w.shape}`,
];

function pick<T>(list: readonly T[], rng: Rng): T {
  return list[Math.floor(rng.uniform() * list.length)]!;
}

/** A caption for the attributes: a random template and random synonyms. */
export function shapeCaption(a: ShapeAttributes, rng: Rng): string {
  const words = { size: pick(SIZE_WORDS[a.size]!, rng), colour: COLOUR_NAMES[a.colour]!, shape: pick(SHAPE_WORDS[a.shape]!, rng), pos: pick(POSITION_WORDS[a.position]!, rng) };
  return pick(TEMPLATES, rng)(words);
}

/** Every word a caption can use (the tokenizer's vocabulary is built from the training captions). */
export const SHAPES_WORDS: readonly string[] = [...new Set([...SIZE_WORDS.flat(), ...COLOUR_NAMES, ...SHAPE_WORDS.flat(), ...POSITION_WORDS.flat().flatMap((p) => p.split(' ')), 'a', 'in', 'the', 'there', 'is'])];

export interface ShapesSet {
  images: ImageSet;
  /** Example i shows image i (one caption per image). */
  imageOf: Int32Array;
  texts: string[];
  /** [n, 4]: shape, colour, size, position of each image. */
  attributes: Int32Array;
  geometry: ShapeGeometry[];
}

/** Seeds of the three splits' streams: disjoint, so the seen test images are not training images. */
const SPLIT_SALT: Record<ShapesSplit, number> = { train: 0x5a17, seen: 0x5ee9, unseen: 0x0e5e };

/**
 * `n` examples of a split, drawn from `seed`: the combinations in turn (a shuffled cycle, so every
 * combination of the split appears ⌊n / combinations⌋ or one more times), each with its own geometry and caption.
 */
export function makeShapesSet(split: ShapesSplit, n: number, seed: number): ShapesSet {
  if (!SHAPES_SPLITS.includes(split)) throw new Error(`shapes: unknown split '${String(split)}'; expected ${SHAPES_SPLITS.join(', ')}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`shapes: the number of examples must be a positive integer, got ${n}`);
  const combos = splitCombinations(split);
  const rng = new Rng(seed * 65_537 + SPLIT_SALT[split]);
  const S = SHAPES_IMAGE_SIZE;
  const per = S * S * 3;
  const pixels = new Uint8Array(n * per);
  const attributes = new Int32Array(n * 4);
  const texts: string[] = [];
  const geometry: ShapeGeometry[] = [];
  let order: number[] = [];
  for (let i = 0; i < n; i++) {
    if (order.length === 0) order = Array.from(rng.permutation(combos.length));
    const a = combos[order.pop()!]!;
    geometry.push(renderShape(a, rng, pixels.subarray(i * per, (i + 1) * per)));
    texts.push(shapeCaption(a, rng));
    attributes.set([a.shape, a.colour, a.size, a.position], i * 4);
  }
  return { images: { pixels, labels: null, count: n, shape: [S, S, 3], numClasses: 0 }, imageOf: Int32Array.from({ length: n }, (_, i) => i), texts, attributes, geometry };
}

/** The attributes a caption names (any template, any synonym), or null when one is missing or ambiguous. */
export function parseShapeCaption(text: string): ShapeAttributes | null {
  const t = ` ${text.toLowerCase().replace(/[^a-z ]+/g, ' ').replace(/\s+/g, ' ').trim()} `;
  const find = (lists: readonly (readonly string[])[]): number | null => {
    const hits = lists.map((words, i) => (words.some((w) => t.includes(` ${w} `)) ? i : -1)).filter((i) => i >= 0);
    return hits.length === 1 ? hits[0]! : null;
  };
  const shape = find(SHAPE_WORDS);
  const colour = find(COLOUR_NAMES.map((c) => [c]));
  const size = find(SIZE_WORDS);
  const position = find(POSITION_WORDS);
  if (shape === null || colour === null || size === null || position === null) return null;
  return { shape, colour, size, position };
}
