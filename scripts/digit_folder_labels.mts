/**
 * Label check for a CycleGAN trained on two folders of digit images (README "Image-to-image translation"):
 * reads translated PNGs (as `gantry translate` writes them, same names), optionally inverts them
 * (black-on-white → white-on-black), classifies them with mnistnet and scores them against a labels file
 * ({ "<name>.png": digit }). Usage: npx tsx scripts/digit_folder_labels.mts DIR LABELS.json [--invert]
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { initEngine } from '../src/backend/engine.ts';
import { classify, getFeatureNet } from '../src/metrics/feature_net.ts';

const [dir, labelsFile, flag] = process.argv.slice(2);
if (!dir || !labelsFile) throw new Error('usage: digit_folder_labels.mts DIR LABELS.json [--invert]');
await initEngine('native', {});
const labels = JSON.parse(fs.readFileSync(labelsFile, 'utf8')) as Record<string, number>;
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.png') && f in labels).sort();
const x = new Float32Array(files.length * 784);
files.forEach((f, i) => {
  const png = PNG.sync.read(fs.readFileSync(path.join(dir, f)));
  if (png.width !== 28 || png.height !== 28) throw new Error(`${f}: ${png.width}×${png.height}, expected 28×28`);
  for (let p = 0; p < 784; p++) {
    const v = (png.data[4 * p]! + png.data[4 * p + 1]! + png.data[4 * p + 2]!) / 3;
    x[i * 784 + p] = ((flag === '--invert' ? 255 - v : v) / 255) * 2 - 1;
  }
});
const net = await getFeatureNet('mnist');
const predicted = classify(net, x, files.length, [28, 28, 1]);
const correct = files.filter((f, i) => predicted[i] === labels[f]).length;
console.log(JSON.stringify({ dir, images: files.length, invert: flag === '--invert', mnistnet_accuracy: correct / files.length }));
