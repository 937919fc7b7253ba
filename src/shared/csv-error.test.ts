import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvErrorReport, unclosedQuoteLine } from './csv-error.js';

const refusal = (text: string) => {
  try {
    parse(text, { relax_column_count: true, skip_empty_lines: true });
  } catch (err) {
    return csvErrorReport(text, err);
  }
  throw new Error('parsed');
};

describe('a CSV file csv-parse refuses', () => {
  it('names the line where a never-closed quote opened, not the end of the file', () => {
    expect(refusal('a,b,c\n1,2,3\n4,"5,6\n7,8,9\n10,11,12\n')).toEqual({ line: 3, message: 'not valid CSV: the quote opened on line 3 is never closed' });
    // Closed quotes (with escaped quotes and newlines inside) before it do not count.
    expect(refusal('a,b\n"x ""y""\nz",1\r\n2,"open\n')).toEqual({ line: 4, message: 'not valid CSV: the quote opened on line 4 is never closed' });
  });

  it('finds no open quote where every quote closes, or where a quote is inside a field', () => {
    expect(unclosedQuoteLine('a,b\n"1,2",3\n')).toBeUndefined();
    expect(unclosedQuoteLine('a,b\n5" screen,3\n')).toBeUndefined();
  });

  it('keeps csv-parse’s line for other problems', () => {
    const r = refusal('a,b\n"x"y,2\n');
    expect(r.line).toBe(2);
    expect(r.message).toMatch(/^not valid CSV near line 2: /);
  });
});
