/**
 * Catalogue import over HTTP, on every database: CSV and JSON files import all rows or none; every
 * bad row and field is reported; re-importing updates rather than duplicates; only admins import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

type Staff = Awaited<ReturnType<typeof signIn>>;

interface ListedProduct {
  id: string;
  sku: string;
  name: { zh: string; en: string };
  description: { zh: string; en: string };
  category: string;
  priceFen: number;
  listPriceFen: number;
  stock: number;
  ageMinMonths: number;
  ageMaxMonths: number;
  attributes: Record<string, { zh: string; en: string }>;
  imageUrl: string;
}

interface RowProblem {
  row: number;
  field: string;
  reason: string;
  line?: number;
}

const HEADER = 'sku,nameZh,nameEn,descriptionZh,descriptionEn,category,price,listPrice,stock,ageMinMonths,ageMaxMonths,attributes,imageUrl,faqs';
const csv = (...rows: string[]) => `${[HEADER, ...rows].join('\n')}\n`;
const quote = (value: unknown) => `"${(typeof value === 'string' ? value : JSON.stringify(value)).replaceAll('"', '""')}"`;

describe.each(DIALECTS)('catalogue import over HTTP on %s', (dialect) => {
  let t: TestApp;
  let admin: Staff;
  let host: Staff;

  beforeAll(async () => {
    t = await testApp(dialect);
    [admin, host] = await Promise.all([signIn(t.app, 'admin'), signIn(t.app, 'host')]);
  });
  afterAll(async () => t?.close());

  function importFile(body: string | object, contentType: string, options: { as?: Staff | null; brand?: string } = {}): Promise<LightMyRequestResponse> {
    const as = options.as === undefined ? admin : options.as;
    return t.app.inject({
      method: 'POST',
      url: `/api/v1/brands/${options.brand ?? 'demo-brand'}/products/import`,
      headers: { 'content-type': contentType, ...(as ? { cookie: as.cookie } : {}) },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** Every product of the demo brand by SKU, read page by page as a client would. */
  async function catalogue(): Promise<Map<string, ListedProduct>> {
    const all = new Map<string, ListedProduct>();
    let after: string | null = null;
    do {
      const url: string = `/api/v1/products?brandId=demo-brand&limit=50${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const res: LightMyRequestResponse = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      const page: { items: ListedProduct[]; nextAfter: string | null } = res.json();
      for (const p of page.items) all.set(p.sku, p);
      after = page.nextAfter;
    } while (after);
    return all;
  }

  function expectInvalid(res: LightMyRequestResponse): RowProblem[] {
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json<{ code: string; status: number; errors: RowProblem[] }>();
    expect(problem.code).toBe('IMPORT_INVALID');
    expect(problem.status).toBe(422);
    for (const e of problem.errors) expect(e.reason.length).toBeGreaterThan(0);
    return problem.errors;
  }

  const where = (errors: RowProblem[]) => errors.map((e) => `${e.row}:${e.field}`).sort();

  it('imports a valid CSV file, then updates (not duplicates) on re-import', async () => {
    const before = await catalogue();
    const attributes = { material: { zh: '纯棉', en: 'Cotton' } };
    const faqs = [{ questionZh: '可以机洗吗？', answerZh: '可以，冷水轻柔模式。', questionEn: 'Machine washable?', answerEn: 'Yes, cold and gentle.' }];
    const file = (price: string, stock: number) =>
      csv(
        `IMP-CSV-001,纯棉口水巾 5 条装,"Cotton bibs, pack of 5",${quote('柔软，\n吸水')},${quote('Soft, "absorbent"')},feeding,${price},99.00,${stock},0,36,${quote(attributes)},/img/products/feeding.svg,${quote(faqs)}`,
        `IMP-CSV-002,婴儿袜 3 双,Baby socks (3 pairs),,,clothing,19.9,,40,,,,,`,
        `IMP-CSV-003,安抚奶嘴,Soother,,,feeding,0,,0,6,18,,https://cdn.example/soother.png,`,
      );

    const first = await importFile(file('59.00', 120), 'text/csv');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ created: 3, updated: 0 });
    let after = await catalogue();
    expect(after.size).toBe(before.size + 3);
    expect(after.get('IMP-CSV-001')).toMatchObject({
      name: { zh: '纯棉口水巾 5 条装', en: 'Cotton bibs, pack of 5' },
      description: { zh: '柔软，\n吸水', en: 'Soft, "absorbent"' },
      category: 'feeding',
      priceFen: 5900,
      listPriceFen: 9900,
      stock: 120,
      ageMinMonths: 0,
      ageMaxMonths: 36,
      attributes,
    });
    // Optional cells default: list price = price, ages 0–216, image from the category.
    expect(after.get('IMP-CSV-002')).toMatchObject({ priceFen: 1990, listPriceFen: 1990, ageMinMonths: 0, ageMaxMonths: 216, imageUrl: '/img/products/clothing.svg' });
    expect(after.get('IMP-CSV-003')).toMatchObject({ priceFen: 0, stock: 0, imageUrl: 'https://cdn.example/soother.png' });
    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/products/${after.get('IMP-CSV-001')!.id}` });
    expect(detail.json().faqs).toEqual([{ question: { zh: '可以机洗吗？', en: 'Machine washable?' }, answer: { zh: '可以，冷水轻柔模式。', en: 'Yes, cold and gentle.' } }]);

    const firstId = after.get('IMP-CSV-001')!.id;
    const again = await importFile(file('49.50', 80), 'text/csv; charset=utf-8');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ created: 0, updated: 3 });
    after = await catalogue();
    expect(after.size).toBe(before.size + 3);
    expect(after.get('IMP-CSV-001')).toMatchObject({ id: firstId, priceFen: 4950, stock: 80 });
  });

  it('imports JSON, as an array or as {"products": [...]}, creating new SKUs and updating known ones', async () => {
    const before = await catalogue();
    const known = [...before.values()][0]!;
    const products = [
      { sku: 'IMP-JSON-001', nameZh: '婴儿润肤乳', nameEn: 'Baby lotion', category: 'skincare', price: '39.90', stock: 50 },
      { sku: 'IMP-JSON-002', nameZh: '磨牙棒', nameEn: 'Teething stick', category: 'feeding', price: 12.5, listPrice: '15', stock: '7', ageMinMonths: 6 },
      { sku: known.sku, nameZh: known.name.zh, nameEn: known.name.en, category: known.category, price: '1.00', listPrice: '2.00', stock: 3 },
    ];
    const res = await importFile(products, 'application/json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ created: 2, updated: 1 });
    let after = await catalogue();
    expect(after.size).toBe(before.size + 2);
    expect(after.get('IMP-JSON-002')).toMatchObject({ priceFen: 1250, listPriceFen: 1500, stock: 7, ageMinMonths: 6 });
    expect(after.get(known.sku)).toMatchObject({ id: known.id, priceFen: 100, listPriceFen: 200, stock: 3 });

    const wrapped = await importFile({ products: [{ ...products[0], stock: 51 }] }, 'application/json');
    expect(wrapped.json()).toEqual({ created: 0, updated: 1 });
    after = await catalogue();
    expect(after.size).toBe(before.size + 2);
    expect(after.get('IMP-JSON-001')!.stock).toBe(51);
  });

  it('a CSV file with several invalid rows is refused as a whole: each bad row and field is named, nothing is imported', async () => {
    const before = await catalogue();
    const res = await importFile(
      csv(
        'IMP-BAD-001,好的一行,A good row,,,bath,10.00,,5,,,,,',
        'IMP-BAD-002,价格错误,Bad price,,,bath,ten yuan,,5,,,,,',
        'IMP-BAD-003,另一行好的,Another good row,,,bath,12.00,,5,,,,,',
        'IMP-BAD-004,库存错误,Bad stock and category,,,Bath Time,10.00,,-5,,,,,',
        'IMP-BAD-005,缺英文名,,,,bath,10.00,9.00,5,24,12,{not json},ftp://x/y.png,',
      ),
      'text/csv',
    );
    const errors = expectInvalid(res);
    expect(where(errors)).toEqual(
      ['2:price', '4:category', '4:stock', '5:nameEn', '5:listPrice', '5:ageMaxMonths', '5:attributes', '5:imageUrl'].sort(),
    );
    // CSV problems carry the file line (the header is line 1).
    for (const e of errors) expect(e.line).toBe(e.row + 1);
    expect(errors.find((e) => e.field === 'nameEn')!.reason).toMatch(/required/);
    expect(res.json().detail).toMatch(/nothing was imported/);

    const after = await catalogue();
    expect(after.size).toBe(before.size);
    expect(after.has('IMP-BAD-001')).toBe(false);
    expect(after.has('IMP-BAD-003')).toBe(false);
  });

  it('a JSON file with invalid records is refused as a whole, naming each record and field', async () => {
    const before = await catalogue();
    const known = [...before.values()][1]!;
    const res = await importFile(
      [
        { sku: known.sku, nameZh: known.name.zh, nameEn: known.name.en, category: known.category, price: '0.01', stock: 1 },
        { sku: 'IMP-BADJ-002', nameZh: '甲', nameEn: 'A', category: 'bath', price: 'free', stock: 1.5 },
        { sku: 'IMP-BADJ-003', nameZh: '乙', nameEn: 'B', category: 'bath', price: '1.00', stock: 1, colour: 'red' },
        { sku: 'bad sku!', nameZh: 3, nameEn: 'C', category: 'bath', price: '1.00', stock: 1 },
      ],
      'application/json',
    );
    const errors = expectInvalid(res);
    expect(where(errors)).toEqual(['2:price', '2:stock', '3:colour', '4:nameZh', '4:sku'].sort());
    for (const e of errors) expect(e.line).toBeUndefined();
    const after = await catalogue();
    expect(after.size).toBe(before.size);
    // The valid first record did not update the known product either.
    expect(after.get(known.sku)).toEqual(known);
  });

  it('an unknown CSV column and a missing required column are reported before any row', async () => {
    const before = await catalogue();
    const res = await importFile('sku,nameZh,nameEn,category,price,colour\nIMP-COL-001,甲,A,bath,1.00,red\n', 'text/csv');
    const errors = expectInvalid(res);
    expect(errors).toEqual(
      expect.arrayContaining([
        { row: 0, line: 1, field: 'colour', reason: 'unknown column' },
        { row: 0, line: 1, field: 'stock', reason: 'required column is missing' },
      ]),
    );
    expect(errors).toHaveLength(2);
    expect((await catalogue()).size).toBe(before.size);
  });

  it('a SKU twice in one file is reported on its second row, and nothing is imported', async () => {
    const before = await catalogue();
    const res = await importFile(
      csv('IMP-DUP-001,甲,A,,,bath,1.00,,1,,,,,', 'IMP-DUP-002,乙,B,,,bath,1.00,,1,,,,,', 'IMP-DUP-001,丙,C,,,bath,2.00,,1,,,,,'),
      'text/csv',
    );
    const errors = expectInvalid(res);
    expect(errors).toEqual([{ row: 3, line: 4, field: 'sku', reason: expect.stringMatching(/duplicate.*row 1/) }]);
    const after = await catalogue();
    expect(after.size).toBe(before.size);
    expect(after.has('IMP-DUP-001')).toBe(false);
    expect(after.has('IMP-DUP-002')).toBe(false);
  });

  it('a file that is not CSV or JSON at all, or has no rows, is refused', async () => {
    const before = await catalogue();
    expect(where(expectInvalid(await importFile('sku,nameZh\n"unclosed,quote\n', 'text/csv')))).toEqual(['0:(file)']);
    expect(where(expectInvalid(await importFile(csv(), 'text/csv')))).toEqual(['0:(file)']);
    expect(where(expectInvalid(await importFile({ items: [] }, 'application/json')))).toEqual(['0:(file)']);
    expect(where(expectInvalid(await importFile([], 'application/json')))).toEqual(['0:(file)']);
    const malformed = await importFile('[{"sku": ', 'application/json');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('MALFORMED_JSON');
    const xml = await importFile('<products/>', 'application/xml');
    expect(xml.statusCode).toBe(415);
    expect((await catalogue()).size).toBe(before.size);
  });

  it('only admins import; an unknown brand is 404', async () => {
    const before = await catalogue();
    const file = csv('IMP-AUTH-001,甲,A,,,bath,1.00,,1,,,,,');
    const asHost = await importFile(file, 'text/csv', { as: host });
    expect(asHost.statusCode).toBe(403);
    expect(asHost.json().code).toBe('FORBIDDEN');
    const anonymous = await importFile(file, 'text/csv', { as: null });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const unknownBrand = await importFile(file, 'text/csv', { brand: 'no-such-brand' });
    expect(unknownBrand.statusCode).toBe(404);
    expect(unknownBrand.json().code).toBe('NOT_FOUND');
    const after = await catalogue();
    expect(after.size).toBe(before.size);
    expect(after.has('IMP-AUTH-001')).toBe(false);
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/products?brandId=no-such-brand' });
    expect(listed.json().items).toEqual([]);
  });
});
