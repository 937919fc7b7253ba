/**
 * Parses and validates a catalogue file (CSV or JSON). Every problem is reported with its row,
 * field and reason; the caller imports nothing unless the whole file is valid.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { csvErrorReport } from '../../shared/csv-error.js';
import type { Bilingual, Faq, ProductInput, RowProblem } from './types.js';

export type CatalogueFormat = 'csv' | 'json';

export const MAX_IMPORT_ROWS = 20_000;
const MAX_PRICE_FEN = 100_000_000; // 1,000,000.00 CNY
const MAX_STOCK = 10_000_000;
const MAX_AGE_MONTHS = 216;

/** Column names in a CSV file and keys in a JSON record, with whether they are required. */
export const IMPORT_FIELDS = {
  sku: true,
  nameZh: true,
  nameEn: true,
  descriptionZh: false,
  descriptionEn: false,
  category: true,
  price: true,
  listPrice: false,
  stock: true,
  ageMinMonths: false,
  ageMaxMonths: false,
  attributes: false,
  imageUrl: false,
  faqs: false,
} as const;

type Field = keyof typeof IMPORT_FIELDS;
const FIELD_NAMES = Object.keys(IMPORT_FIELDS) as Field[];

export type ParseOutcome = { ok: true; products: ProductInput[] } | { ok: false; problems: RowProblem[] };

export function parseCatalogue(content: string, format: CatalogueFormat): ParseOutcome {
  const records = format === 'csv' ? readCsv(content) : readJson(content);
  if (!records.ok) return records;
  if (records.rows.length === 0) return { ok: false, problems: [{ row: 0, field: '(file)', reason: 'the file has no product rows' }] };
  if (records.rows.length > MAX_IMPORT_ROWS) {
    return { ok: false, problems: [{ row: 0, field: '(file)', reason: `at most ${MAX_IMPORT_ROWS} rows per import` }] };
  }

  const problems: RowProblem[] = [];
  const products: ProductInput[] = [];
  const seenSku = new Map<string, number>();
  records.rows.forEach((record, i) => {
    const row = i + 1;
    const line = records.lines?.[i];
    const report = (field: string, reason: string) => problems.push({ row, field, reason, ...(line ? { line } : {}) });
    const product = validateRecord(record, format, report);
    if (product) {
      const earlier = seenSku.get(product.sku);
      if (earlier !== undefined) report('sku', `duplicate SKU, also on row ${earlier}`);
      else seenSku.set(product.sku, row);
      products.push(product);
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, products };
}

type Records = { ok: true; rows: Record<string, unknown>[]; lines?: number[] } | { ok: false; problems: RowProblem[] };

function readCsv(content: string): Records {
  if (content.replace(/^\uFEFF/, '').trim() === '') {
    const required = FIELD_NAMES.filter((f) => IMPORT_FIELDS[f]);
    return { ok: false, problems: [{ row: 0, field: '(file)', reason: `the file is empty; its first line must name the columns (${required.join(', ')})` }] };
  }
  let parsed: { record: Record<string, string>; info: { lines: number }; raw: string }[];
  try {
    parsed = parseCsv(content.replace(/^\uFEFF/, ''), {
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: false,
      info: true,
      raw: true,
      relax_column_count: false,
    }) as typeof parsed;
  } catch (err) {
    const e = err as { lines?: number; code?: string };
    // An unclosed quote is reported where it opened (csv-parse names the end of the file).
    const report = e.code === 'CSV_QUOTE_NOT_CLOSED' ? csvErrorReport(content.replace(/^\uFEFF/, ''), err) : undefined;
    const line = report?.line ?? e.lines;
    const reason = report ? `not valid CSV (${e.code}): the quote opened on this line is never closed` : `not valid CSV${e.code ? ` (${e.code})` : ''}`;
    return { ok: false, problems: [{ row: 0, field: '(file)', reason, ...(line ? { line } : {}) }] };
  }
  const header = parsed[0] ? Object.keys(parsed[0].record) : headerOf(content);
  const unknown = header.filter((h) => !(FIELD_NAMES as string[]).includes(h));
  const missing = FIELD_NAMES.filter((f) => IMPORT_FIELDS[f] && !header.includes(f));
  if (unknown.length || missing.length) {
    return {
      ok: false,
      problems: [
        ...unknown.map((f) => ({ row: 0, line: 1, field: f, reason: 'unknown column' })),
        ...missing.map((f) => ({ row: 0, line: 1, field: f, reason: 'required column is missing' })),
      ],
    };
  }
  return {
    ok: true,
    rows: parsed.map((p) => {
      // In CSV an empty cell means "not given".
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p.record)) if (v !== '') r[k] = v;
      return r;
    }),
    // info.lines is where a record ends; a quoted cell may span lines, so count back to its start.
    lines: parsed.map((p) => p.info.lines - (p.raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0)),
  };
}

function headerOf(content: string): string[] {
  const first = content.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return first.split(',').map((h) => h.trim()).filter(Boolean);
}

function readJson(content: string): Records {
  let data: unknown;
  try {
    data = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch {
    return { ok: false, problems: [{ row: 0, field: '(file)', reason: 'not valid JSON' }] };
  }
  const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.products) ? data.products : undefined;
  if (!list) return { ok: false, problems: [{ row: 0, field: '(file)', reason: 'expected an array of products or {"products": [...]}' }] };
  const problems: RowProblem[] = [];
  list.forEach((r: unknown, i: number) => {
    if (!isObject(r)) problems.push({ row: i + 1, field: '(row)', reason: 'must be an object' });
  });
  if (problems.length) return { ok: false, problems };
  return { ok: true, rows: list as Record<string, unknown>[] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CATEGORY = /^[a-z][a-z0-9_]{0,39}$/;
const PRICE = /^(0|[1-9]\d{0,8})(\.\d{1,2})?$/;
const ATTRIBUTE_KEY = /^[a-z][A-Za-z0-9]{0,39}$/;

function validateRecord(
  record: Record<string, unknown>,
  format: CatalogueFormat,
  report: (field: string, reason: string) => void,
): ProductInput | undefined {
  const before = { n: 0 };
  const problem = (field: string, reason: string) => {
    before.n++;
    report(field, reason);
  };
  for (const key of Object.keys(record)) if (!(FIELD_NAMES as string[]).includes(key)) problem(key, 'unknown field');
  for (const f of FIELD_NAMES) if (IMPORT_FIELDS[f] && (record[f] === undefined || record[f] === null)) problem(f, 'required');

  const text = (f: Field, max: number, required: boolean): string => {
    const v = record[f];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      problem(f, 'must be text');
      return '';
    }
    const t = v.trim();
    if (required && t === '') problem(f, 'must not be empty');
    if (t.length > max) problem(f, `at most ${max} characters`);
    return t;
  };
  const integer = (f: Field, min: number, max: number, def: number): number => {
    const v = record[f];
    if (v === undefined || v === null) return def;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
    if (!Number.isInteger(n)) {
      problem(f, 'must be a whole number');
      return def;
    }
    if (n < min || n > max) problem(f, `must be from ${min} to ${max}`);
    return n;
  };
  const money = (f: Field): number | undefined => {
    const v = record[f];
    if (v === undefined || v === null) return undefined;
    const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
    if (!PRICE.test(s)) {
      problem(f, 'must be an amount in CNY with at most two decimals, e.g. 129.00');
      return undefined;
    }
    const [yuan = '0', fen = ''] = s.split('.');
    const total = Number(yuan) * 100 + Number(fen.padEnd(2, '0'));
    if (total > MAX_PRICE_FEN) problem(f, 'must be at most 1000000.00');
    return total;
  };
  const structured = (f: Field): unknown => {
    const v = record[f];
    if (v === undefined || v === null) return undefined;
    if (format === 'csv' && typeof v === 'string') {
      try {
        return JSON.parse(v);
      } catch {
        problem(f, 'must be JSON in this column');
        return undefined;
      }
    }
    return v;
  };

  const sku = text('sku', 64, true);
  if (sku && !SKU.test(sku)) problem('sku', 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64');
  const nameZh = text('nameZh', 200, true);
  const nameEn = text('nameEn', 200, true);
  const descriptionZh = text('descriptionZh', 4000, false);
  const descriptionEn = text('descriptionEn', 4000, false);
  const category = text('category', 40, true);
  if (category && !CATEGORY.test(category)) problem('category', 'lower-case letters, digits or "_", starting with a letter');
  const priceFen = money('price');
  const listPriceFen = money('listPrice') ?? priceFen;
  if (priceFen !== undefined && listPriceFen !== undefined && listPriceFen < priceFen) {
    problem('listPrice', 'must not be below price');
  }
  const stock = integer('stock', 0, MAX_STOCK, 0);
  const ageMinMonths = integer('ageMinMonths', 0, MAX_AGE_MONTHS, 0);
  const ageMaxMonths = integer('ageMaxMonths', 0, MAX_AGE_MONTHS, MAX_AGE_MONTHS);
  if (ageMinMonths > ageMaxMonths) problem('ageMaxMonths', 'must not be below ageMinMonths');

  let imageUrl = text('imageUrl', 500, false);
  if (imageUrl && !/^\/[A-Za-z0-9/_.-]+$/.test(imageUrl) && !/^https:\/\/[^\s"'<>]+$/.test(imageUrl)) {
    problem('imageUrl', 'must be a site path like /img/x.svg or an https:// URL');
  }
  if (!imageUrl && category) imageUrl = `/img/products/${category}.svg`;

  const attributes: Record<string, Bilingual> = {};
  const rawAttributes = structured('attributes');
  if (rawAttributes !== undefined) {
    if (!isObject(rawAttributes)) problem('attributes', 'must be an object of {"zh","en"} values');
    else {
      const entries = Object.entries(rawAttributes);
      if (entries.length > 30) problem('attributes', 'at most 30 attributes');
      for (const [k, v] of entries) {
        if (!ATTRIBUTE_KEY.test(k)) problem(`attributes.${k.slice(0, 40)}`, 'key must be lowerCamelCase letters and digits');
        else if (!isBilingual(v, 500)) problem(`attributes.${k}`, 'must be {"zh": text, "en": text}, each at most 500 characters');
        else attributes[k] = { zh: v.zh.trim(), en: v.en.trim() };
      }
    }
  }

  const faqs: Faq[] = [];
  const rawFaqs = structured('faqs');
  if (rawFaqs !== undefined) {
    if (!Array.isArray(rawFaqs)) problem('faqs', 'must be an array');
    else if (rawFaqs.length > 50) problem('faqs', 'at most 50 entries');
    else
      rawFaqs.forEach((f: unknown, i) => {
        const faq = faqOf(f);
        if (!faq) problem(`faqs[${i}]`, 'needs questionZh, answerZh, questionEn, answerEn as text (at most 2000 characters)');
        else faqs.push(faq);
      });
  }

  if (before.n > 0 || priceFen === undefined || listPriceFen === undefined) return undefined;
  return {
    sku,
    name: { zh: nameZh, en: nameEn },
    description: { zh: descriptionZh, en: descriptionEn },
    category,
    priceFen,
    listPriceFen,
    stock,
    ageMinMonths,
    ageMaxMonths,
    attributes,
    imageUrl,
    faqs,
  };
}

function isBilingual(v: unknown, max: number): v is Bilingual {
  return (
    isObject(v) &&
    Object.keys(v).every((k) => k === 'zh' || k === 'en') &&
    typeof v.zh === 'string' &&
    typeof v.en === 'string' &&
    v.zh.trim() !== '' &&
    v.en.trim() !== '' &&
    v.zh.length <= max &&
    v.en.length <= max
  );
}

export function faqOf(f: unknown): Faq | undefined {
  if (!isObject(f)) return undefined;
  const keys = ['questionZh', 'answerZh', 'questionEn', 'answerEn'] as const;
  if (Object.keys(f).some((k) => !(keys as readonly string[]).includes(k))) return undefined;
  for (const k of keys) {
    const v = f[k];
    if (typeof v !== 'string' || v.trim() === '' || v.length > 2000) return undefined;
  }
  return {
    question: { zh: (f.questionZh as string).trim(), en: (f.questionEn as string).trim() },
    answer: { zh: (f.answerZh as string).trim(), en: (f.answerEn as string).trim() },
  };
}

/** Formats fen as a CNY amount string, e.g. 12990 → "129.90". */
export function formatYuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
