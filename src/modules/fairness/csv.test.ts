import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCsvProblem, parseDecisionCsv, parseRankingCsv, readDecisionFile, readRankingFile, scanCsv, type CsvResult } from './csv.js';

const COLS = { group: 'segment', prediction: 'recommended', label: 'bought' };
const RANK_COLS = { list: 'list', item: 'item', rank: 'rank', group: 'brand', relevance: 'rel' };

function problem<T>(r: CsvResult<T>): string {
  if (r.ok) throw new Error('expected a problem');
  return describeCsvProblem(r.problem);
}

describe('decision logs', () => {
  it('reads columns into typed arrays, groups coded in name order; BOM, quotes and CRLF handled', () => {
    const text = '\uFEFFid,segment,recommended,bought\r\n1,"north, city",1,0\r\n2,south,0,1\r\n3,"north, city",1,1\r\n';
    const r = parseDecisionCsv(text, 'd.csv', COLS);
    if (!r.ok) throw new Error(describeCsvProblem(r.problem));
    expect(r.data.groups).toEqual(['north, city', 'south']);
    expect(Array.from(r.data.group)).toEqual([0, 1, 0]);
    expect(Array.from(r.data.prediction)).toEqual([1, 0, 1]);
    expect(Array.from(r.data.label!)).toEqual([0, 1, 1]);
    expect(r.data.weight).toBeUndefined();
    expect(r.data.prediction).toBeInstanceOf(Uint8Array);
  });

  it('reads weights, and leaves labels out when not asked for', () => {
    const r = parseDecisionCsv('g,p,w\nb,1,2.5\na,0,0\n', 'd.csv', { group: 'g', prediction: 'p', weight: 'w' });
    if (!r.ok) throw new Error('unexpected problem');
    expect(r.data.groups).toEqual(['a', 'b']);
    expect(Array.from(r.data.group)).toEqual([1, 0]);
    expect(Array.from(r.data.weight!)).toEqual([2.5, 0]);
    expect(r.data.label).toBeUndefined();
  });

  const bad: [string, string, object, string][] = [
    ['a non-binary prediction', 'segment,recommended,bought\na,1,0\nb,2,0\n', COLS, 'd.csv, row 2 (line 3), column recommended: prediction must be 0 or 1 (got "2")'],
    ['a non-binary label', 'segment,recommended,bought\na,1,yes\n', COLS, 'd.csv, row 1 (line 2), column bought: label must be 0 or 1 (got "yes")'],
    ['an empty group', 'segment,recommended,bought\na,1,0\n ,1,0\n', COLS, 'd.csv, row 2 (line 3), column segment: empty group value'],
    ['a missing column', 'segment,recommended\na,1\n', COLS, 'd.csv, column bought: missing column (the header has: segment, recommended)'],
    ['a negative weight', 'g,p,w\na,1,-1\n', { group: 'g', prediction: 'p', weight: 'w' }, 'd.csv, row 1 (line 2), column w: weight must be a number ≥ 0 (got "-1")'],
    ['a short row', 'segment,recommended,bought\na,1\n', COLS, 'd.csv, row 1 (line 2): has 2 fields, the header has 3'],
    ['an empty file', '', COLS, 'd.csv: empty file (no header row)'],
    ['only a header', 'segment,recommended,bought\n', COLS, 'd.csv: no data rows (only a header)'],
    ['an unclosed quote', 'segment,recommended,bought\n"a,1,0\n', COLS, 'd.csv: not valid CSV: the quote opened on line 2 is never closed'],
    ['a repeated header name', 'segment,segment,recommended,bought\na,b,1,0\n', COLS, 'd.csv, column segment: the header names this column more than once'],
  ];
  for (const [what, text, cols, message] of bad) {
    it(`${what}: one problem naming file, row, line and column`, () => {
      expect(problem(parseDecisionCsv(text, 'd.csv', cols as typeof COLS))).toContain(message);
    });
  }

  it('counts lines from where a row starts when a quoted cell holds newlines', () => {
    const text = 'note,segment,recommended,bought\n"two\nlines",a,1,0\n\n"three\nmore\nlines",b,x,0\n';
    expect(problem(parseDecisionCsv(text, 'd.csv', COLS))).toBe('d.csv, row 2 (line 5), column recommended: prediction must be 0 or 1 (got "x")');
  });
});

describe('ranking logs', () => {
  it('reads lists, items, ranks, groups and relevance', () => {
    const r = parseRankingCsv('list,item,rank,brand,rel\nL1,p1,1,B,1\nL1,p2,2,A,0.5\nL2,p2,1,A,0.25\n', 'r.csv', RANK_COLS);
    if (!r.ok) throw new Error(describeCsvProblem(r.problem));
    expect(r.data).toMatchObject({ rows: 3, lists: 2, items: ['p1', 'p2'], groups: ['A', 'B'] });
    expect(Array.from(r.data.itemGroup)).toEqual([1, 0]);
    expect(Array.from(r.data.item)).toEqual([0, 1, 1]);
    expect(Array.from(r.data.rank)).toEqual([1, 2, 1]);
    expect(Array.from(r.data.relevance!)).toEqual([1, 0.5, 0.25]);
  });

  const bad: [string, string, string][] = [
    ['a rank of 0', 'list,item,rank,brand,rel\nL1,p1,0,A,1\n', 'r.csv, row 1 (line 2), column rank: rank must be a whole number ≥ 1 (got "0")'],
    ['a fractional rank', 'list,item,rank,brand,rel\nL1,p1,1.5,A,1\n', 'r.csv, row 1 (line 2), column rank: rank must be a whole number ≥ 1 (got "1.5")'],
    ['relevance above 1', 'list,item,rank,brand,rel\nL1,p1,1,A,1.5\n', 'r.csv, row 1 (line 2), column rel: relevance must be a number in [0, 1] (got "1.5")'],
    ['a duplicate (list, rank)', 'list,item,rank,brand,rel\nL1,p1,1,A,1\nL2,p1,1,A,1\nL1,p2,1,A,1\n', 'r.csv, row 3 (line 4), column rank: list "L1" already has rank 1 on row 1 (line 2)'],
    ['an item twice in a list', 'list,item,rank,brand,rel\nL1,p1,1,A,1\nL1,p1,2,A,1\n', 'r.csv, row 2 (line 3), column item: item "p1" already appears in list "L1" on row 1 (line 2)'],
    ['an item in two groups', 'list,item,rank,brand,rel\nL1,p1,1,A,1\nL2,p1,1,B,1\n', 'r.csv, row 2 (line 3), column brand: item "p1" is in group "A" on row 1 (line 2) but in "B" here'],
    ['an empty group', 'list,item,rank,brand,rel\nL1,p1,1,,1\n', 'r.csv, row 1 (line 2), column brand: empty group value'],
    ['a missing column', 'list,item,brand,rel\nL1,p1,A,1\n', 'r.csv, column rank: missing column'],
  ];
  for (const [what, text, message] of bad) {
    it(`${what}: one problem naming file, row, line and column`, () => {
      expect(problem(parseRankingCsv(text, 'r.csv', RANK_COLS))).toContain(message);
    });
  }
});

describe('files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-fairness-csv-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a missing file or a directory is a problem naming the file', async () => {
    const missing = path.join(dir, 'nope.csv');
    expect(problem(await readDecisionFile(missing, COLS))).toBe(`${missing}: no such file`);
    expect(problem(await readRankingFile(dir, RANK_COLS))).toBe(`${dir}: is a directory, not a CSV file`);
  });

  it('reads a file from disk', async () => {
    const file = path.join(dir, 'ok.csv');
    fs.writeFileSync(file, 'segment,recommended,bought\na,1,1\n');
    const r = await readDecisionFile(file, COLS);
    expect(r.ok).toBe(true);
  });
});

describe('the quote-free fast path', () => {
  /** Everything scanCsv reports (header, rows with row and line numbers, or the problem). */
  function trace(text: string, allowFastPath: boolean): unknown[] {
    const out: unknown[] = [];
    try {
      scanCsv(text, 'f.csv', (h) => out.push(['header', h]), (fields, at) => out.push([fields, at.row, at.line]), { allowFastPath });
    } catch (err) {
      out.push(['problem', (err as { problem?: unknown }).problem ?? String(err)]);
    }
    return out;
  }

  it('gives exactly what csv-parse gives on text without quotes (random files: CRLF or LF, BOM, empty lines, ragged rows)', () => {
    const field = fc.stringMatching(/^[a-z01 中.-]{0,4}$/);
    const line = fc.oneof(fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(',')), fc.constant(''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.boolean(), fc.boolean(), (lines, crlf, bom, trailing) => {
        const text = (bom ? '\uFEFF' : '') + lines.join(crlf ? '\r\n' : '\n') + (trailing ? (crlf ? '\r\n' : '\n') : '');
        expect(trace(text, true)).toEqual(trace(text, false));
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves quoted text and mixed line endings to csv-parse', () => {
    // A quoted comma: one field, not two.
    expect(trace('a,b\n"x,y",1\n', true)).toEqual([['header', ['a', 'b']], [['x,y', '1'], 1, 2]]);
    // Mixed endings: csv-parse decides (here the whole text is one record delimiter style).
    expect(trace('a,b\r\n1,2\n3,4\n', true)).toEqual(trace('a,b\r\n1,2\n3,4\n', false));
  });
});
