#!/usr/bin/env node
// Prints a markdown table from the JSON lines of scripts/preset_runs.sh (one line per preset): steps,
// training wall time and the metrics `gantry eval` reported. The protocol column gives what the metric
// keys carry (sample count, reference split, feature network), e.g. fid5k_test_mnistnet -> "5k test mnistnet".
// Usage: node scripts/results_table.mjs RESULTS.jsonl
import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/results_table.mjs RESULTS.jsonl');
  process.exit(2);
}
const rows = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const COLUMNS = [
  ['FID', /^fid\d+k?_/], ['KID', /^kid\d+k?_.*(?<!_std)$/], ['IS', /^is\d+k?_.*(?<!_std)$/], ['precision', /^precision/],
  ['recall', /^recall/], ['density', /^density/], ['coverage', /^coverage/], ['class acc', /^class_acc/],
  ['modes', /^stacked_modes/], ['KL', /^stacked_kl/],
];
const fmt = (v) => (typeof v !== 'number' ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 3));
console.log(`| preset | steps | train wall | protocol | ${COLUMNS.map(([c]) => c).join(' | ')} |`);
console.log(`| --- | --- | --- | --- | ${COLUMNS.map(() => '---').join(' | ')} |`);
for (const r of rows) {
  const e = r.eval ?? {};
  const keys = Object.keys(e);
  const cell = (re) => fmt(e[keys.find((k) => re.test(k))]);
  const proto = keys.map((k) => /^(?:fid|stacked_modes)(\d+k?)_(?:(test|train)_)?(\w+)$/.exec(k)).find(Boolean);
  const wall = `${Math.floor(r.train_seconds / 60)} min ${r.train_seconds % 60} s`;
  console.log(`| \`${r.preset}\` | ${r.steps} | ${wall} | ${proto ? [proto[1], proto[2], proto[3]].filter(Boolean).join(' ') : '–'} | ${COLUMNS.map(([, re]) => cell(re)).join(' | ')} |`);
}
