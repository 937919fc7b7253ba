/** parseCatalogue: CSV and JSON say the same thing, money round-trips, and every problem is named. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatYuan, IMPORT_FIELDS, parseCatalogue } from './import.js';
import type { ProductInput } from './types.js';

/** One product as a person would write it: money as "yuan.fen" text, optional fields maybe absent. */
interface Row {
  sku: string;
  nameZh: string;
  nameEn: string;
  descriptionZh?: string;
  descriptionEn?: string;
  category: string;
  priceFen: number;
  listPriceFen?: number;
  stock: number;
  ageMinMonths?: number;
  ageMaxMonths?: number;
  attributes?: { [key: string]: { zh: string; en: string } };
  imageUrl?: string;
  faqs?: { questionZh: string; answerZh: string; questionEn: string; answerEn: string }[];
}

const COLUMNS = Object.keys(IMPORT_FIELDS) as (keyof typeof IMPORT_FIELDS)[];

// Text that exercises CSV quoting: commas, quotes, newlines, CJK and spaces (trimmed, as the parser trims).
const text = (maxLength: number) =>
  fc
    .string({ unit: fc.constantFrom(...'aZ9 ,;"\'\n甲乙丙奶瓶é-'.split('')), minLength: 1, maxLength })
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const row: fc.Arbitrary<Row> = fc
  .record(
    {
      sku: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$/),
      nameZh: text(40),
      nameEn: text(40),
      descriptionZh: text(80),
      descriptionEn: text(80),
      category: fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/),
      priceFen: fc.integer({ min: 0, max: 100_000_000 }),
      listPriceExtra: fc.integer({ min: 0, max: 1_000_000 }),
      stock: fc.integer({ min: 0, max: 10_000_000 }),
      ages: fc.tuple(fc.integer({ min: 0, max: 216 }), fc.integer({ min: 0, max: 216 })),
      attributes: fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,11}$/), fc.record({ zh: text(20), en: text(20) }), { maxKeys: 3 }),
      imageUrl: fc.constantFrom('/img/products/bath.svg', 'https://cdn.example/p-1.png'),
      faqs: fc.array(fc.record({ questionZh: text(30), answerZh: text(30), questionEn: text(30), answerEn: text(30) }), { maxLength: 2 }),
    },
    { requiredKeys: ['sku', 'nameZh', 'nameEn', 'category', 'priceFen', 'stock'] },
  )
  .map(({ listPriceExtra, ages, ...r }) => ({
    ...r,
    ...(listPriceExtra !== undefined ? { listPriceFen: Math.min(100_000_000, r.priceFen + listPriceExtra) } : {}),
    ...(ages ? { ageMinMonths: Math.min(...ages), ageMaxMonths: Math.max(...ages) } : {}),
  }));

const rowsArb = fc.uniqueArray(row, { selector: (r) => r.sku, minLength: 1, maxLength: 6 });

function asJson(rows: Row[]): string {
  return JSON.stringify(
    rows.map(({ priceFen, listPriceFen, ...r }) => ({
      ...r,
      price: formatYuan(priceFen),
      ...(listPriceFen !== undefined ? { listPrice: formatYuan(listPriceFen) } : {}),
    })),
  );
}

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;

function asCsv(rows: Row[]): string {
  const cell = (r: Row, column: (typeof COLUMNS)[number]): string => {
    switch (column) {
      case 'price':
        return formatYuan(r.priceFen);
      case 'listPrice':
        return r.listPriceFen === undefined ? '' : formatYuan(r.listPriceFen);
      case 'attributes':
      case 'faqs':
        return r[column] === undefined ? '' : JSON.stringify(r[column]);
      default: {
        const v = r[column];
        return v === undefined ? '' : String(v);
      }
    }
  };
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => quote(cell(r, c))).join(','))].join('\r\n');
}

function expected(r: Row): ProductInput {
  return {
    sku: r.sku,
    name: { zh: r.nameZh, en: r.nameEn },
    description: { zh: r.descriptionZh ?? '', en: r.descriptionEn ?? '' },
    category: r.category,
    priceFen: r.priceFen,
    listPriceFen: r.listPriceFen ?? r.priceFen,
    stock: r.stock,
    ageMinMonths: r.ageMinMonths ?? 0,
    ageMaxMonths: r.ageMaxMonths ?? 216,
    attributes: r.attributes ?? {},
    imageUrl: r.imageUrl ?? `/img/products/${r.category}.svg`,
    faqs: (r.faqs ?? []).map((f) => ({ question: { zh: f.questionZh, en: f.questionEn }, answer: { zh: f.answerZh, en: f.answerEn } })),
  };
}

const HEADER = 'sku,nameZh,nameEn,category,price,stock';

describe('parseCatalogue', () => {
  it('reads the CSV and the JSON form of any valid records as the same products', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const fromCsv = parseCatalogue(asCsv(rows), 'csv');
        const fromJson = parseCatalogue(asJson(rows), 'json');
        expect(fromCsv).toEqual({ ok: true, products: rows.map(expected) });
        expect(fromJson).toEqual(fromCsv);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips prices: fen → "yuan.fen" → fen, and canonical text → fen → the same text', () => {
    const one = (price: string | number) => parseCatalogue(JSON.stringify([{ sku: 'P1', nameZh: '甲', nameEn: 'A', category: 'bath', price, stock: 1 }]), 'json');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (fen) => {
        const yuan = formatYuan(fen);
        expect(yuan).toMatch(/^(0|[1-9]\d*)\.\d{2}$/);
        const parsed = one(yuan);
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
        expect(parsed.products[0]!.priceFen).toBe(fen);
        expect(formatYuan(parsed.products[0]!.priceFen)).toBe(yuan);
        // Shorter spellings ("12", "12.5") and JSON numbers (12.5) mean the same amount.
        const short = fen % 100 === 0 ? String(fen / 100) : fen % 10 === 0 ? `${Math.floor(fen / 100)}.${(fen % 100) / 10}` : yuan;
        expect(one(short)).toEqual(parsed);
        expect(one(fen / 100)).toEqual(parsed);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses amounts that are not yuan with at most two decimals, or above 1,000,000.00', () => {
    for (const price of ['1.005', '-1.00', '1e3', '01.00', '1,00', '¥1.00', '', ' ', '100000000', '1000000.01']) {
      const r = parseCatalogue(JSON.stringify([{ sku: 'P1', nameZh: '甲', nameEn: 'A', category: 'bath', price, stock: 1 }]), 'json');
      expect(r.ok, price).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => p.field), price).toEqual(['price']);
    }
  });

  it('names every bad row and field of a file, and returns no products when any row is bad', () => {
    fc.assert(
      fc.property(rowsArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (rows, picks) => {
        const bad = new Set(picks.map((i) => i % rows.length));
        const broken = rows.map((r, i) => (bad.has(i) ? { ...r, stock: -1 } : r));
        const result = parseCatalogue(asCsv(broken), 'csv');
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.problems.map((p) => `${p.row}:${p.field}`)).toEqual([...bad].sort((a, b) => a - b).map((i) => `${i + 1}:stock`));
      }),
    );
  });

  it('reports unknown and missing CSV columns on the header line', () => {
    expect(parseCatalogue('sku,nameZh,nameEn,category,price,colour\nA1,甲,A,bath,1.00,red\n', 'csv')).toEqual({
      ok: false,
      problems: [
        { row: 0, line: 1, field: 'colour', reason: 'unknown column' },
        { row: 0, line: 1, field: 'stock', reason: 'required column is missing' },
      ],
    });
  });

  it('reports a SKU given twice on the later row', () => {
    const r = parseCatalogue(`${HEADER}\nA1,甲,A,bath,1.00,1\nA2,乙,B,bath,1.00,1\nA1,丙,C,bath,1.00,1\n`, 'csv');
    expect(r).toEqual({ ok: false, problems: [{ row: 3, line: 4, field: 'sku', reason: 'duplicate SKU, also on row 1' }] });
  });

  it('reports unknown fields, wrong types and missing fields in JSON records', () => {
    const r = parseCatalogue(JSON.stringify([{ sku: 'A1', nameZh: 1, category: 'bath', price: '1.00', stock: '1.5', colour: 'red' }]), 'json');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => `${p.row}:${p.field}`).sort()).toEqual(['1:colour', '1:nameEn', '1:nameZh', '1:stock']);
  });

  it('refuses files that are not CSV or JSON, or hold no rows', () => {
    for (const [content, format] of [
      ['"unclosed', 'csv'],
      [HEADER, 'csv'],
      ['{', 'json'],
      ['{"items": []}', 'json'],
      ['[]', 'json'],
      ['"text"', 'json'],
    ] as const) {
      const r = parseCatalogue(content, format);
      expect(r.ok, content).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => `${p.row}:${p.field}`), content).toEqual(['0:(file)']);
    }
    // An empty file is one problem that says what the first line must hold, not six missing columns.
    for (const content of ['', '\uFEFF', '\n\r\n  \n']) {
      expect(parseCatalogue(content, 'csv'), JSON.stringify(content)).toEqual({
        ok: false,
        problems: [{ row: 0, field: '(file)', reason: 'the file is empty; its first line must name the columns (sku, nameZh, nameEn, category, price, stock)' }],
      });
    }
    const notObjects = parseCatalogue('[1, {"sku": "x"}, null]', 'json');
    expect(notObjects.ok).toBe(false);
    if (!notObjects.ok) expect(notObjects.problems.map((p) => `${p.row}:${p.field}`)).toEqual(['1:(row)', '3:(row)']);
  });

  it('accepts a byte-order mark and CRLF line ends', () => {
    const r = parseCatalogue(`\uFEFF${HEADER}\r\nA1,甲,A,bath,1.00,1\r\n`, 'csv');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.products.map((p) => p.sku)).toEqual(['A1']);
  });

  it('gives the line of a record that follows a record spanning several lines', () => {
    const r = parseCatalogue(`${HEADER},descriptionEn\nA1,甲,A,bath,1.00,1,"one\ntwo\nthree"\nA2,乙,B,bath,oops,1,x\n`, 'csv');
    expect(r).toMatchObject({ ok: false, problems: [{ row: 2, field: 'price', line: 5 }] });
  });

  it('names the line where a quote that is never closed opens, not the end of the file', () => {
    const r = parseCatalogue(`${HEADER}\nA1,甲,A,bath,1.00,1\nA2,"乙,B,bath,2.00,1\nA3,丙,C,bath,3.00,1\nA4,丁,D,bath,4.00,1\n`, 'csv');
    expect(r).toEqual({ ok: false, problems: [{ row: 0, field: '(file)', line: 3, reason: 'not valid CSV (CSV_QUOTE_NOT_CLOSED): the quote opened on this line is never closed' }] });
  });

  // RowProblem.line is where the record starts, even when a quoted cell spans lines 3–5.
  it('gives the line where a record spanning several lines starts', () => {
    const r = parseCatalogue(`${HEADER},descriptionEn\nA1,甲,A,bath,1.00,1,x\nA2,乙,B,bath,oops,1,"one\ntwo\nthree"\n`, 'csv');
    expect(r).toMatchObject({ ok: false, problems: [{ row: 2, field: 'price', line: 3 }] });
  });
});
