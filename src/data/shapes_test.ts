import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../core/rng.ts';
import {
  COLOUR_RGB, isUnseenCombination, makeShapesSet, parseShapeCaption, POSITION_CENTRES, renderShape, shapeCaption, SHAPES_IMAGE_SIZE,
  SIZE_SIDES, splitCombinations, type ShapeAttributes,
} from './shapes.ts';

const S = SHAPES_IMAGE_SIZE;

test('splits: 42 unseen combinations by the mod-5 rule, 168 seen, together all 210, disjoint', () => {
  const unseen = splitCombinations('unseen');
  const seen = splitCombinations('seen');
  assert.equal(unseen.length, 42);
  assert.equal(seen.length, 168);
  assert.deepEqual(splitCombinations('train'), seen);
  const key = (a: ShapeAttributes) => `${a.shape}${a.colour}${a.size}${a.position}`;
  const all = new Set([...unseen, ...seen].map(key));
  assert.equal(all.size, 210);
  for (const a of unseen) assert.equal((a.shape + 2 * a.colour + 3 * a.size + 4 * a.position) % 5, 0);
  assert.ok(isUnseenCombination({ shape: 0, colour: 0, size: 0, position: 0 }));
  assert.ok(!isUnseenCombination({ shape: 1, colour: 0, size: 0, position: 0 }));
});

/** The filled pixels of one image: their bounding box, colour, and the row widths. */
function measure(px: Uint8Array) {
  let minX = S, maxX = -1, minY = S, maxY = -1;
  const colours = new Set<string>();
  const rowWidth = new Map<number, number>();
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const o = (y * S + x) * 3;
      const c = [px[o]!, px[o + 1]!, px[o + 2]!];
      if (c[0] === 0 && c[1] === 0 && c[2] === 0) continue;
      colours.add(c.join(','));
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      rowWidth.set(y, (rowWidth.get(y) ?? 0) + 1);
    }
  }
  return { minX, maxX, minY, maxY, w: maxX - minX + 1, h: maxY - minY + 1, colours, rowWidth };
}

/** 4-connected components of the filled pixels. */
function components(px: Uint8Array): number {
  const seen = new Uint8Array(S * S);
  let count = 0;
  for (let i = 0; i < S * S; i++) {
    if (seen[i] || (px[i * 3] === 0 && px[i * 3 + 1] === 0 && px[i * 3 + 2] === 0)) continue;
    count++;
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % S, y = Math.floor(j / S);
      for (const [nx, ny] of [[x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]] as const) {
        if (nx < 0 || ny < 0 || nx >= S || ny >= S) continue;
        const k = ny * S + nx;
        if (!seen[k] && !(px[k * 3] === 0 && px[k * 3 + 1] === 0 && px[k * 3 + 2] === 0)) {
          seen[k] = 1;
          stack.push(k);
        }
      }
    }
  }
  return count;
}

test('every image follows the spec: black background, one filled shape of one colour × brightness, its size and place', () => {
  const rng = new Rng(7);
  const px = new Uint8Array(S * S * 3);
  for (const a of [...splitCombinations('seen'), ...splitCombinations('unseen')]) {
    for (let rep = 0; rep < 3; rep++) {
      const g = renderShape(a, rng, px);
      const m = measure(px);
      const what = `${JSON.stringify(a)} ${JSON.stringify(g)}`;
      assert.equal(components(px), 1, `one shape: ${what}`);
      assert.equal(m.colours.size, 1, `one colour: ${what}`);
      const [r, gr, b] = [...m.colours][0]!.split(',').map(Number) as [number, number, number];
      assert.deepEqual([r, gr, b], COLOUR_RGB[a.colour]!.map((c) => Math.round(255 * c * g.brightness)), what);
      assert.ok(g.brightness >= 0.75 && g.brightness <= 1, what);
      const [lo, hi] = SIZE_SIDES[a.size]!;
      assert.ok(g.side >= lo && g.side <= hi && Number.isInteger(g.side), what);
      const [bx, by] = POSITION_CENTRES[a.position]!;
      assert.ok(Math.abs(g.centreX - bx) <= 1 && Math.abs(g.centreY - by) <= 1, what);
      // The drawn box: side s around the centre (an odd side is centred on a pixel, an even one between two).
      const cx = (m.minX + m.maxX) / 2;
      const cy = (m.minY + m.maxY) / 2;
      assert.ok(Math.abs(cx - g.centreX) <= 0.5 && Math.abs(cy - g.centreY) <= 0.5, `box centre ${cx},${cy}: ${what}`);
      if (a.shape === 1) {
        assert.equal(m.w, g.side, what);
        assert.equal(m.h, g.side, what);
        assert.equal([...m.rowWidth.values()].reduce((p, q) => p + q, 0), g.side * g.side, `a filled square: ${what}`);
      } else {
        assert.ok(Math.abs(m.w - g.side) <= 1 && Math.abs(m.h - g.side) <= 1, `extent ${m.w}×${m.h}: ${what}`);
      }
      if (a.shape === 2) {
        // Apex at the top-centre, base along the bottom: rows widen downwards.
        const widths = [...m.rowWidth.entries()].sort((p, q) => p[0] - q[0]).map(([, w]) => w);
        for (let i = 1; i < widths.length; i++) assert.ok(widths[i]! >= widths[i - 1]!, `triangle rows ${widths}: ${what}`);
        assert.ok(widths[widths.length - 1]! >= g.side - 1 && widths[0]! <= 3, `triangle rows ${widths}: ${what}`);
      }
    }
  }
});

test('sets: splits hold only their combinations, every combination in turn, captions name the attributes; deterministic', () => {
  const train = makeShapesSet('train', 400, 1);
  const unseen = makeShapesSet('unseen', 100, 1);
  for (const [set, wantUnseen] of [[train, false], [unseen, true]] as const) {
    for (let i = 0; i < set.images.count; i++) {
      const [shape, colour, size, position] = set.attributes.subarray(i * 4, i * 4 + 4) as unknown as [number, number, number, number];
      const a = { shape, colour, size, position };
      assert.equal(isUnseenCombination(a), wantUnseen);
      assert.deepEqual(parseShapeCaption(set.texts[i]!), a, set.texts[i]);
    }
  }
  // 400 = 2 × 168 + 64: every seen combination twice or three times.
  const counts = new Map<string, number>();
  for (let i = 0; i < 400; i++) counts.set(train.attributes.subarray(i * 4, i * 4 + 4).join(), (counts.get(train.attributes.subarray(i * 4, i * 4 + 4).join()) ?? 0) + 1);
  assert.equal(counts.size, 168);
  assert.ok([...counts.values()].every((c) => c === 2 || c === 3));
  assert.deepEqual(makeShapesSet('train', 50, 1).images.pixels, train.images.pixels.subarray(0, 50 * S * S * 3));
  assert.notDeepEqual(makeShapesSet('seen', 50, 1).images.pixels, train.images.pixels.subarray(0, 50 * S * S * 3), 'the seen test images are not the training images');
  assert.throws(() => makeShapesSet('val' as never, 5, 1), /unknown split 'val'/);
});

test('captions use the synonyms and several word orders', () => {
  const rng = new Rng(3);
  const texts = Array.from({ length: 3000 }, (_, i) => shapeCaption({ shape: i % 3, colour: i % 7, size: i % 2, position: i % 5 }, rng));
  const words = new Set(texts.flatMap((t) => t.replace(/[,:]/g, '').split(' ')));
  for (const w of ['small', 'tiny', 'little', 'large', 'big', 'center', 'centre', 'middle', 'square', 'box', 'circle', 'triangle']) assert.ok(words.has(w), w);
  assert.ok(texts.some((t) => t.startsWith('there is a ')));
  assert.ok(texts.some((t) => /^(big|large|small|tiny|little) \w+ \w+, /.test(t)));
  assert.ok(texts.includes('a small red circle in the top left') || texts.some((t) => /^a (small|tiny|little) \w+ \w+ in the /.test(t)));
  assert.equal(parseShapeCaption('a big blue box'), null, 'no position');
  assert.deepEqual(parseShapeCaption('big blue square, bottom right'), { shape: 1, colour: 2, size: 1, position: 3 });
  assert.deepEqual(parseShapeCaption('there is a tiny cyan triangle in the middle'), { shape: 2, colour: 5, size: 0, position: 4 });
});

test('the shapes dataset config trains as a captioned stream (images in [-1, 1], token ids) and evaluates on the seen split', async () => {
  const { openDataSource, loadEvalSet } = await import('./registry.ts');
  const src = await openDataSource({ name: 'shapes', count: 300 }, 1);
  assert.deepEqual(src.shape, [32, 32, 3]);
  const b = src.nextBatch(8);
  assert.equal(b.x.length, 8 * 32 * 32 * 3);
  assert.ok(Math.min(...b.x) >= -1 && Math.max(...b.x) <= 1 && Math.min(...b.x) === -1, 'black background is -1');
  assert.ok(b.tokens, 'batches carry token ids');
  const test = await loadEvalSet({ name: 'shapes' }, 'test');
  assert.equal(test.count, 2000);
  assert.throws(() => src.nextBatch(0));
});
