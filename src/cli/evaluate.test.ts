import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../modules/evaluation/index.js';
import { evaluationTable } from './evaluate.js';

const report = (estimates: EvaluationReport['estimates']): EvaluationReport => ({
  rows: 2_000,
  clicks: 8,
  loggedCtr: 0.004,
  estimates,
  details: { file: 'log.csv', layout: 'obd', items: 80, positions: 3, uniformLog: true, trainRows: [0, 1_000], evalRows: [1_000, 2_000], bootstrap: 200, seed: 1, notes: [] },
});

describe('the evaluate table', () => {
  it('says that an estimate or interval outside 0–100 % is noise, naming the policy and estimator', () => {
    const table = evaluationTable(
      report([
        { policy: 'uniform', estimator: 'ips', value: 0.004, ci95: [0.001, 0.008], ess: 1_000, maxWeight: 1 },
        { policy: 'linucb', estimator: 'dr', value: -0.0012, ci95: [-0.004, 0.002], ess: 12.5, maxWeight: 80 },
      ]),
    );
    expect(table).toContain('   -0.120 %');
    expect(table).toMatch(/\nnote: linucb dr: an estimate or interval outside 0–100 %/);
    expect(table).not.toMatch(/uniform ips: an estimate/);
  });

  it('adds no note when every figure is a rate', () => {
    const table = evaluationTable(report([{ policy: 'uniform', estimator: 'ips', value: 0.004, ci95: [0, 0.008], ess: 1_000, maxWeight: 1 }]));
    expect(table).not.toContain('note:');
  });
});
