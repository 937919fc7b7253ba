/**
 * `qingliu fairness` and `qingliu exposure` as a person runs them: the real binary in a child
 * process, on tiny temp CSV files built from the published test vectors. Bad files get one message
 * naming file, row (and line) and column, exit 2, and nothing on stdout.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/qingliu.js');

/** TV-1 (fairlearn user guide) as a decision log, with a quoted id column and a BOM. */
const TV1_Y = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1];
const TV1_PRED = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0];
const TV1_SF = ['b', 'b', 'a', 'b', 'b', 'c', 'c', 'c', 'a', 'a', 'c', 'a', 'b', 'c', 'c', 'b', 'c', 'c'];
const TV1_CSV = '\uFEFFdecision_id,segment,recommended,bought\n' + TV1_SF.map((g, i) => `"d-${i + 1}",${g},${TV1_PRED[i]},${TV1_Y[i]}`).join('\n') + '\n';

/** TV-3 (holisticai): group a = first four rows. */
const TV3_CSV = 'segment,recommended\n' + [1, 1, 1, 0, 1, 1, 0, 0, 0, 0].map((p, i) => `${i < 4 ? 'a' : 'b'},${p}`).join('\n') + '\n';

/** TV-7 (FairRankTune) as a ranking log of one list. */
const TV7 = ['Joe', 'Jack', 'Nick', 'David', 'Mark', 'Josh', 'Dave', 'Bella', 'Heidi', 'Amy'];
const TV7_CSV = 'list,item,rank,group\n' + TV7.map((name, j) => `top,${name},${j + 1},${j < 7 ? 'M' : 'W'}`).join('\n') + '\n';

interface FairnessJson {
  groups: Record<string, unknown>[];
  disparities: { group: string; metric: string; ratio: number | null; fair: boolean | null; difference: number | null; ci95: [number, number] | null; pValue: number | null; pAdjusted: number | null; flagged: boolean }[];
  summary: Record<string, number | null>;
  reference: string;
  threshold: number;
}

describe('qingliu fairness and exposure', { timeout: 120_000 }, () => {
  let dir: string;

  function qingliu(args: string[]) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, QINGLIU_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, input: '', encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function file(name: string, text: string): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-fairness-'));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fairness --json on TV-1: exactly the documented keys, fairlearn figures, largest group as reference', () => {
    const f = file('tv1.csv', TV1_CSV);
    const r = qingliu(['fairness', '--input', f, '--group', 'segment', '--prediction', 'recommended', '--label', 'bought', '--min-group-size', '1', '--bootstrap', '50', '--seed', '3', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as FairnessJson;
    expect(Object.keys(out)).toEqual(['groups', 'disparities', 'summary', 'reference', 'threshold']);
    expect(out.reference).toBe('c');
    expect(out.threshold).toBe(0.8);
    expect(Object.keys(out.groups[0]!)).toEqual(['group', 'n', 'selectionRate', 'selectedShare', 'tpr', 'fpr', 'fnr', 'fdr', 'for', 'precision', 'suppressed']);
    expect(out.groups.map((g) => [g.group, g.n, g.selectionRate, g.tpr])).toEqual([
      ['a', 4, 0.75, 0.5],
      ['b', 6, 0.5, 0.6],
      ['c', 8, 0.5, 0.4],
    ]);
    expect(Object.keys(out.disparities[0]!)).toEqual(['group', 'metric', 'ratio', 'fair', 'difference', 'ci95', 'pValue', 'pAdjusted', 'flagged']);
    expect(Object.keys(out.summary)).toEqual(['demographicParityDifference', 'demographicParityRatio', 'equalizedOddsDifference', 'equalOpportunityDifference', 'generalizedEntropyIndex', 'theilIndex']);
    expect(out.summary.demographicParityDifference).toBeCloseTo(0.25, 12);
    expect(out.summary.demographicParityRatio).toBeCloseTo(0.666667, 6);
    expect(out.summary.equalizedOddsDifference).toBeCloseTo(1, 12);
    expect(out.summary.equalOpportunityDifference).toBeCloseTo(0.2, 12);
    const bFpr = out.disparities.find((d) => d.group === 'b' && d.metric === 'fpr')!;
    expect(bFpr.ratio).toBe(0);
    expect(bFpr.fair).toBe(false);
    expect(bFpr.ci95).toHaveLength(2);
  });

  it('fairness on TV-1 with --reference b and no labels: a vs b is the test vector 3/4 vs 3/6 (p = 0.4292), Holm over two groups', () => {
    const f = file('tv1-ref.csv', TV1_CSV);
    const r = qingliu(['fairness', '--input', f, '--group', 'segment', '--prediction', 'recommended', '--reference', 'b', '--min-group-size', '1', '--bootstrap', '0', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as FairnessJson;
    expect(out.reference).toBe('b');
    expect(out.groups.map((g) => g.tpr)).toEqual([null, null, null]);
    const [a, c] = out.disparities;
    expect(a).toMatchObject({ group: 'a', metric: 'selectionRate', ratio: 1.5, difference: 0.25, fair: false, flagged: false, ci95: null });
    expect(a!.pValue).toBeCloseTo(0.42919530044034926, 12);
    expect(a!.pAdjusted).toBeCloseTo(2 * 0.42919530044034926, 12);
    expect(c).toMatchObject({ group: 'c', ratio: 1, difference: 0, fair: true, pValue: 1, pAdjusted: 1 });
    expect(out.summary.equalizedOddsDifference).toBeNull();
  });

  it('fairness on TV-3 with --reference a: ratio 0.4444, signed difference, z-test p = 0.1967, not flagged', () => {
    const f = file('tv3.csv', TV3_CSV);
    const r = qingliu(['fairness', '--input', f, '--group', 'segment', '--prediction', 'recommended', '--reference', 'a', '--min-group-size', '1', '--bootstrap', '0', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as FairnessJson;
    expect(out.disparities).toHaveLength(1);
    const d = out.disparities[0]!;
    expect(d).toMatchObject({ group: 'b', metric: 'selectionRate', fair: false, flagged: false, ci95: null });
    expect(d.ratio).toBeCloseTo(0.4444444444, 9);
    expect(d.difference).toBeCloseTo(-0.4166666666666667, 15);
    expect(d.pValue).toBeCloseTo(0.19670560245894686, 12);
    expect(out.summary.generalizedEntropyIndex).toBeNull(); // no labels
  });

  it('prints a readable table, with groups under --min-group-size suppressed', () => {
    const f = file('tv1-table.csv', TV1_CSV);
    const r = qingliu(['fairness', '--input', f, '--group', 'segment', '--prediction', 'recommended', '--label', 'bought', '--bootstrap', '20', '--min-group-size', '5']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Fairness audit of .*tv1-table\.csv\n18 decisions in 3 groups; with labels\n/);
    expect(r.stdout).toMatch(/\na +4 +suppressed\n/);
    expect(r.stdout).toMatch(/reference group: c \(the largest\)/);
    expect(r.stdout).toMatch(/\nsuppressed: fewer than 5 rows/);
    expect(r.stdout).toMatch(/Against c:\ngroup +metric +ratio +difference +95 % interval +p +p \(Holm\) +fair\nb +selection rate +1\.000 +\+0\.0 pp/);
  });

  it('exposure --json on TV-7: FairRankTune group means and combiners; Gini and coverage with a catalogue', () => {
    const f = file('tv7.csv', TV7_CSV);
    const r = qingliu(['exposure', '--input', f, '--list', 'list', '--item', 'item', '--rank', 'rank', '--group', 'group', '--catalog-size', '20', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { groups: { group: string; items: number; meanExposure: number; meanRelevance: number | null; exposurePerRelevance: number | null }[]; gini: number; coverage: number; combined: { minMaxRatio: number; maxMinDiff: number } };
    expect(Object.keys(out)).toEqual(['groups', 'gini', 'coverage', 'combined']);
    expect(out.groups.map((g) => [g.group, g.items, g.meanRelevance, g.exposurePerRelevance])).toEqual([
      ['M', 7, null, null],
      ['W', 3, null, null],
    ]);
    expect(out.groups[0]!.meanExposure).toBeCloseTo(0.5197142341886783, 14);
    expect(out.groups[1]!.meanExposure).toBeCloseTo(0.3018532329225326, 14);
    expect(out.combined.maxMinDiff).toBeCloseTo(0.21786100126614577, 14);
    expect(out.combined.minMaxRatio).toBeCloseTo(0.580806, 6);
    expect(out.gini).toBeCloseTo(0.5, 12); // 10 items shown once, 10 never
    expect(out.coverage).toBe(0.5);
  });

  it('exposure prints a table; coverage is null without a catalogue size', () => {
    const f = file('tv7-table.csv', TV7_CSV);
    const r = qingliu(['exposure', '--input', f, '--list', 'list', '--item', 'item', '--rank', 'rank', '--group', 'group']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\nM +7 +0\.5197 +— +—\n/);
    expect(r.stdout).toMatch(/catalogue coverage: — \(give --catalog-size\)/);
    const j = qingliu(['exposure', '--input', f, '--list', 'list', '--item', 'item', '--rank', 'rank', '--group', 'group', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ coverage: null, gini: 0 });
  });

  const fairness = (f: string, ...extra: string[]) => ['fairness', '--input', f, '--group', 'segment', '--prediction', 'recommended', ...extra];
  const exposure = (f: string, ...extra: string[]) => ['exposure', '--input', f, '--list', 'list', '--item', 'item', '--rank', 'rank', '--group', 'group', ...extra];
  const cases: [string, () => string[], RegExp][] = [
    ['a missing file', () => fairness(path.join(dir, 'nope.csv')), /^qingliu: .*nope\.csv: no such file\n$/],
    ['a missing column', () => fairness(file('cols.csv', 'segment,chosen\na,1\n')), /^qingliu: .*cols\.csv, column recommended: missing column \(the header has: segment, chosen\)\n$/],
    ['a non-binary prediction', () => fairness(file('pred.csv', 'segment,recommended\na,1\nb,0.5\n')), /^qingliu: .*pred\.csv, row 2 \(line 3\), column recommended: prediction must be 0 or 1 \(got "0\.5"\)\n$/],
    ['a non-binary label', () => fairness(file('label.csv', 'segment,recommended,bought\na,1,1\na,1,2\n'), '--label', 'bought'), /^qingliu: .*label\.csv, row 2 \(line 3\), column bought: label must be 0 or 1 \(got "2"\)\n$/],
    ['an empty group', () => fairness(file('group.csv', 'segment,recommended\na,1\n,0\n')), /^qingliu: .*group\.csv, row 2 \(line 3\), column segment: empty group value\n$/],
    ['an empty file', () => fairness(file('empty.csv', '')), /^qingliu: .*empty\.csv: empty file \(no header row\)\n$/],
    ['an unknown reference', () => fairness(file('ref.csv', TV3_CSV), '--reference', 'z'), /^qingliu: .*ref\.csv: reference group "z" is not in the log \(groups: a, b\)\n$/],
    ['a suppressed reference', () => fairness(file('small.csv', TV3_CSV)), /^qingliu: .*small\.csv: reference group "b" has 6 rows, fewer than the minimum group size 30/],
    ['a threshold above 1', () => fairness(file('t.csv', TV3_CSV), '--threshold', '1.25'), /--threshold <t>' argument '1\.25' is invalid\. must be a number in \(0, 1\]/],
    ['a rank that is not a positive integer', () => exposure(file('rank.csv', 'list,item,rank,group\nL,x,1,A\nL,y,0,A\n')), /^qingliu: .*rank\.csv, row 2 \(line 3\), column rank: rank must be a whole number ≥ 1 \(got "0"\)\n$/],
    ['relevance outside [0, 1]', () => exposure(file('rel.csv', 'list,item,rank,group,rel\nL,x,1,A,1.2\n'), '--relevance', 'rel'), /^qingliu: .*rel\.csv, row 1 \(line 2\), column rel: relevance must be a number in \[0, 1\] \(got "1\.2"\)\n$/],
    ['a duplicate (list, rank)', () => exposure(file('dup.csv', 'list,item,rank,group\nL,x,1,A\nM,x,1,A\nL,y,1,B\n')), /^qingliu: .*dup\.csv, row 3 \(line 4\), column rank: list "L" already has rank 1 on row 1 \(line 2\)\n$/],
    ['an empty group in a ranking', () => exposure(file('rgroup.csv', 'list,item,rank,group\nL,x,1, \n')), /^qingliu: .*rgroup\.csv, row 1 \(line 2\), column group: empty group value\n$/],
    ['a catalogue smaller than the items shown', () => exposure(file('cat.csv', TV7_CSV), '--catalog-size', '4'), /^qingliu: .*cat\.csv: catalogue size 4 is smaller than the 10 distinct items shown \(--catalog-size\)\n$/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one message, exit 2, nothing on stdout`, () => {
      const r = qingliu(args());
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'))).toHaveLength(1);
      expect(r.status).toBe(2);
    });
  }
});
