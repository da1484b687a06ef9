import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalGroups, isTranslation } from './run.ts';

test('eval lines chart one family each: FID, KID, the shares together; meta numbers and _std columns left out', () => {
  const keys = [
    'confident1k_mnistnet_p90', 'class_share_min1k_mnistnet', 'class_share_max1k_mnistnet', 'fid1k_test_mnistnet',
    'kid1k_test_mnistnet', 'kid1k_test_mnistnet_std', 'n_ref', 'n_samples', 'eval_seconds', 'generate_seconds',
    'feature_net_test_accuracy', 'class_acc1k_mnistnet', 'precision10k_test_mnistnet_k3', 'recall10k_test_mnistnet_k3',
  ];
  assert.deepEqual(
    evalGroups(keys).map((g) => [g.id, g.keys]),
    [
      ['fid', ['fid1k_test_mnistnet']],
      ['kid', ['kid1k_test_mnistnet']],
      ['classes', ['confident1k_mnistnet_p90', 'class_share_min1k_mnistnet', 'class_share_max1k_mnistnet', 'class_acc1k_mnistnet']],
      ['pr', ['precision10k_test_mnistnet_k3', 'recall10k_test_mnistnet_k3']],
    ],
  );
  // 2-D runs: each of their metrics on its own chart (different scales), the mode total left out.
  assert.deepEqual(
    evalGroups(['modes_covered', 'num_modes', 'high_quality_pct', 'stacked_modes10k_mnistnet']).map((g) => [g.id, g.title]),
    [['modes_covered', 'modes covered'], ['high_quality_pct', 'high quality pct'], ['stacked_modes', 'stacked modes']],
  );
});

test('the Translate link is for image-to-image families only', () => {
  assert.deepEqual(['pix2pix', 'cyclegan', 'gan', 'vae', null, undefined].map(isTranslation), [true, true, false, false, false, false]);
});
