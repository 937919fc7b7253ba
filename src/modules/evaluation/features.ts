/**
 * The feature vector φ(context of row i, candidate item a, position p) used by the reward model
 * (dm, dr) and the linear bandit policies. Dense Float64Array, laid out as:
 *
 *   bias 1 · item numeric features (standardised over the items) · one-hot of each categorical item
 *   feature · [item-id one-hot] · position one-hot · context numeric features (standardised over
 *   the rows) · one-hot of each categorical context feature (OBD: user_feature_0..3) ·
 *   log(1 + user-item affinity of the candidate item).
 *
 * The item-id one-hot is included for the reward model always, and for the bandit only when the log
 * has no item features (else the bandit generalises through the item features, as in serving).
 */
import type { BanditLog, FeatureColumn } from './logs.js';

export interface FeatureMap {
  readonly dim: number;
  readonly names: readonly string[];
  /** Writes φ(row, item, position) into out (length dim). */
  encode(row: number, item: number, position: number, out: Float64Array): void;
}

type Block =
  | { kind: 'numeric'; offset: number; values: Float64Array; mean: number; scale: number; perItem: boolean }
  | { kind: 'onehot'; offset: number; codes: Int32Array; perItem: boolean };

export function featureMap(log: BanditLog, options: { itemIdentity: boolean }): FeatureMap {
  const names: string[] = ['bias'];
  const blocks: Block[] = [];
  const add = (col: FeatureColumn, perItem: boolean) => {
    if (col.kind === 'numeric') {
      const { mean, scale } = standardise(col.values);
      blocks.push({ kind: 'numeric', offset: names.length, values: col.values, mean, scale, perItem });
      names.push(col.name);
    } else {
      blocks.push({ kind: 'onehot', offset: names.length, codes: col.codes, perItem });
      for (const c of col.categories) names.push(`${col.name}=${c}`);
    }
  };
  for (const col of log.itemFeatures) add(col, true);
  let itemOffset = -1;
  if (options.itemIdentity || log.itemFeatures.length === 0) {
    itemOffset = names.length;
    for (const id of log.itemIds) names.push(`item=${id}`);
  }
  const positionOffset = names.length;
  for (let p = 1; p <= log.positions; p++) names.push(`position=${p}`);
  for (const col of log.context) add(col, false);
  const affinityOffset = log.affinity ? names.length : -1;
  if (log.affinity) names.push('log1p(user-item affinity)');
  const k = log.itemIds.length;
  const dim = names.length;
  return {
    dim,
    names,
    encode(row, item, position, out) {
      out.fill(0);
      out[0] = 1;
      for (const b of blocks) {
        const at = b.perItem ? item : row;
        if (b.kind === 'numeric') out[b.offset] = (b.values[at]! - b.mean) / b.scale;
        else out[b.offset + b.codes[at]!] = 1;
      }
      if (itemOffset >= 0) out[itemOffset + item] = 1;
      out[positionOffset + position - 1] = 1;
      if (affinityOffset >= 0) out[affinityOffset] = Math.log1p(Math.max(0, log.affinity![row * k + item]!));
    },
  };
}

function standardise(values: Float64Array): { mean: number; scale: number } {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length || 1;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const sd = Math.sqrt(sq / (values.length || 1));
  return { mean, scale: sd > 0 ? sd : 1 };
}
