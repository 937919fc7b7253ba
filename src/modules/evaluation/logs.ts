/**
 * Loading logged bandit feedback for off-policy evaluation, from two layouts:
 *
 * - the Open Bandit Dataset (OBD): `<name>.csv` (a nameless row-index column, then `timestamp,
 *   item_id, position, click, propensity_score, user_feature_*, user-item_affinity_*`) beside
 *   `item_context.csv` (`item_id` and item features);
 * - Qingliu's decision-log export: `<name>.csv` whose header starts `decision_id,timestamp,item_id,
 *   position,click,propensity_score`, then context feature columns; `item_context.csv` is optional.
 *
 * Every value is checked; the first problem is returned as a value naming file, 1-based data row
 * and column (habit 7: bad input is an expected outcome, not a fault).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvErrorReport } from '../../shared/csv-error.js';

export type LogLayout = 'obd' | 'qingliu';

/** A feature column: numeric (used as a number) or categorical (one-hot by value). */
export type FeatureColumn =
  | { readonly name: string; readonly kind: 'numeric'; readonly values: Float64Array }
  | { readonly name: string; readonly kind: 'categorical'; readonly categories: readonly string[]; readonly codes: Int32Array };

export interface BanditLog {
  readonly layout: LogLayout;
  /** Path of the log csv (as given, joined with DIR). */
  readonly file: string;
  /** Candidate items, in item_context.csv order (or first-seen order without it). */
  readonly itemIds: readonly string[];
  readonly positions: number;
  readonly rows: number;
  /** Per row, oldest first: index into itemIds, 1-based position, click (0/1), logged propensity. */
  readonly item: Int32Array;
  readonly position: Int32Array;
  readonly click: Float64Array;
  readonly propensity: Float64Array;
  readonly timestamp: Float64Array;
  /** Per-row context features (not the affinities). */
  readonly context: readonly FeatureColumn[];
  /** Per-item features from item_context.csv (rows = items). */
  readonly itemFeatures: readonly FeatureColumn[];
  /** user-item affinity: affinity[row * items + item], or undefined when the log has none. */
  readonly affinity: Float64Array | undefined;
  /** True when every propensity is 1/items: a uniformly random log, the one case replay is unbiased for. */
  readonly uniform: boolean;
}

export interface LogProblem {
  readonly file: string;
  /** 1-based data row (the header is row 0); absent for problems with the file or its header. */
  readonly row?: number;
  readonly column?: string;
  readonly reason: string;
}

export type LoadResult = { ok: true; log: BanditLog } | { ok: false; problem: LogProblem };

export const OBD_COLUMNS = ['timestamp', 'item_id', 'position', 'click', 'propensity_score'] as const;
export const QINGLIU_COLUMNS = ['decision_id', 'timestamp', 'item_id', 'position', 'click', 'propensity_score'] as const;
export const ITEM_CONTEXT_FILE = 'item_context.csv';
/** The most places a logged slate may have (a live room shows at most 10; the Open Bandit Dataset 3). */
export const MAX_POSITION = 100;
const WHOLE = /^\d+$/;
const CLICK = /^[01](\.0+)?$/;
const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** A date, then optionally a time and a zone: "2019-11-24 00:03:13.442536+00:00", "2026-11-29T12:00:00Z". */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;
const BIAS = 'bias';
export const AFFINITY_PREFIX = 'user-item_affinity_';

export function describeProblem(p: LogProblem): string {
  const where = [p.file, p.row !== undefined ? `row ${p.row}` : undefined, p.column !== undefined ? `column ${p.column}` : undefined].filter(Boolean).join(', ');
  return `${where}: ${p.reason}`;
}

class Problem extends Error {
  constructor(readonly problem: LogProblem) {
    super(problem.reason);
  }
}

const fail = (file: string, reason: string, row?: number, column?: string): never => {
  throw new Problem({ file, reason, ...(row !== undefined ? { row } : {}), ...(column !== undefined ? { column } : {}) });
};

/** Reads DIR: exactly one log csv besides item_context.csv. */
export async function loadBanditLog(dir: string): Promise<LoadResult> {
  try {
    return { ok: true, log: await load(dir) };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, problem: err.problem };
    throw err;
  }
}

async function load(dir: string): Promise<BanditLog> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) fail(dir, 'no such directory');
  if (!info!.isDirectory()) fail(dir, 'not a directory (give the folder that holds the log csv and item_context.csv)');
  const csvs = (await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.csv')).sort();
  const logs = csvs.filter((f) => f !== ITEM_CONTEXT_FILE);
  if (logs.length !== 1) {
    fail(dir, logs.length === 0 ? `no log csv (expected <name>.csv${csvs.includes(ITEM_CONTEXT_FILE) ? '' : ` and ${ITEM_CONTEXT_FILE}`})` : `${logs.length} log csv files (${logs.join(', ')}); expected exactly one besides ${ITEM_CONTEXT_FILE}`);
  }
  const file = path.join(dir, logs[0]!);
  const table = await readCsv(file);
  const header = table[0]!;
  const layout: LogLayout = header[0] === 'decision_id' ? 'qingliu' : 'obd';
  const required = layout === 'qingliu' ? QINGLIU_COLUMNS : OBD_COLUMNS;
  const col = columnIndex(file, header, required);
  if (layout === 'qingliu') {
    QINGLIU_COLUMNS.forEach((name, i) => {
      if (header[i] !== name) fail(file, `a Qingliu export's header must start ${QINGLIU_COLUMNS.join(',')} (found ${header[i] ?? 'nothing'} in place ${i + 1})`, undefined, name);
    });
  }

  const itemsFile = path.join(dir, ITEM_CONTEXT_FILE);
  const hasItems = csvs.includes(ITEM_CONTEXT_FILE);
  if (!hasItems && layout === 'obd') fail(itemsFile, `missing: the Open Bandit Dataset layout needs ${ITEM_CONTEXT_FILE} beside ${logs[0]}`);
  const items = hasItems ? await loadItems(itemsFile) : undefined;

  const rows = table.length - 1;
  const itemIds: string[] = items ? [...items.ids] : [];
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const item = new Int32Array(rows);
  const position = new Int32Array(rows);
  const click = new Float64Array(rows);
  const propensity = new Float64Array(rows);
  const timestamp = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const line = table[r + 1]!;
    const row = r + 1;
    const id = line[col.get('item_id')!]!;
    let index = itemIndex.get(id);
    if (index === undefined) {
      if (items) fail(file, `item ${JSON.stringify(id)} is not in ${ITEM_CONTEXT_FILE}`, row, 'item_id');
      if (id === '') fail(file, 'empty item id', row, 'item_id');
      index = itemIds.length;
      itemIds.push(id);
      itemIndex.set(id, index);
    }
    item[r] = index!;
    const posText = line[col.get('position')!]!;
    const pos = WHOLE.test(posText) ? Number(posText) : NaN;
    if (!Number.isInteger(pos) || pos < 1 || pos > MAX_POSITION) fail(file, `position must be a whole number from 1 to ${MAX_POSITION} (got ${JSON.stringify(posText)})`, row, 'position');
    position[r] = pos;
    const clickText = line[col.get('click')!]!;
    const c = CLICK.test(clickText) ? Number(clickText) : NaN;
    if (!(c === 0 || c === 1)) fail(file, `click must be 0 or 1 (got ${JSON.stringify(clickText)})`, row, 'click');
    click[r] = c;
    const pText = line[col.get('propensity_score')!]!;
    const p = DECIMAL.test(pText) ? Number(pText) : NaN;
    if (!Number.isFinite(p) || p <= 0 || p > 1) fail(file, `propensity must be a number in (0, 1] (got ${JSON.stringify(pText)})`, row, 'propensity_score');
    propensity[r] = p;
    const tText = line[col.get('timestamp')!]!;
    const t = /^\d+(\.\d+)?$/.test(tText) ? Number(tText) : ISO_8601.test(tText) ? Date.parse(tText) : NaN;
    if (!Number.isFinite(t)) fail(file, `timestamp must be ISO 8601 or epoch milliseconds (got ${JSON.stringify(tText)})`, row, 'timestamp');
    timestamp[r] = t;
    if (layout === 'qingliu' && line[0] === '') fail(file, 'empty decision id', row, 'decision_id');
  }
  // A slate cannot have more places than there are items to fill them.
  for (let r = 0; r < rows; r++) {
    if (position[r]! > itemIds.length) fail(file, `position ${position[r]} but only ${itemIds.length} item${itemIds.length === 1 ? '' : 's'} to show`, r + 1, 'position');
  }

  // Context columns: everything after the required ones (OBD's leading row index excluded).
  const fixed = new Set<number>([...col.values()]);
  if (layout === 'obd' && header[0] === '') fixed.add(0);
  const context: FeatureColumn[] = [];
  const affinityColumns: { index: number; item: number }[] = [];
  header.forEach((name, i) => {
    if (fixed.has(i)) return;
    // The intercept a Qingliu export writes with every decision's features (always 1): every model here has its own.
    if (layout === 'qingliu' && name === BIAS) return;
    if (name.startsWith(AFFINITY_PREFIX)) {
      const target = itemIndex.get(name.slice(AFFINITY_PREFIX.length));
      // Affinity for an item that is not a candidate cannot matter to any decision here.
      if (target !== undefined) affinityColumns.push({ index: i, item: target });
      return;
    }
    context.push(featureColumn(file, name, table, i));
  });
  let affinity: Float64Array | undefined;
  if (affinityColumns.length) {
    const k = itemIds.length;
    affinity = new Float64Array(rows * k);
    for (const { index, item: target } of affinityColumns) {
      for (let r = 0; r < rows; r++) {
        const text = table[r + 1]![index]!;
        const v = text === '' ? 0 : Number(text);
        if (!Number.isFinite(v)) fail(file, `affinity must be a number (got ${JSON.stringify(text)})`, r + 1, header[index]);
        affinity[r * k + target] = v;
      }
    }
  }

  // Oldest first (stable), so a time split trains on the past and evaluates on the future.
  const order = Array.from({ length: rows }, (_, i) => i);
  let sorted = true;
  for (let r = 1; r < rows; r++) if (timestamp[r]! < timestamp[r - 1]!) sorted = false;
  const log: BanditLog = {
    layout,
    file,
    itemIds,
    positions: position.reduce((m, p) => Math.max(m, p), 0),
    rows,
    item,
    position,
    click,
    propensity,
    timestamp,
    context,
    itemFeatures: items?.features ?? [],
    affinity,
    uniform: propensity.every((p) => Math.abs(p * itemIds.length - 1) < 1e-9),
  };
  if (sorted) return log;
  order.sort((a, b) => timestamp[a]! - timestamp[b]! || a - b);
  return reorder(log, order);
}

function reorder(log: BanditLog, order: number[]): BanditLog {
  const pick = <T extends Float64Array | Int32Array>(a: T): T => {
    const out = new (a.constructor as { new (n: number): T })(a.length);
    order.forEach((from, to) => (out[to] = a[from]!));
    return out;
  };
  const k = log.itemIds.length;
  let affinity: Float64Array | undefined;
  if (log.affinity) {
    affinity = new Float64Array(log.affinity.length);
    order.forEach((from, to) => affinity!.set(log.affinity!.subarray(from * k, from * k + k), to * k));
  }
  return {
    ...log,
    item: pick(log.item),
    position: pick(log.position),
    click: pick(log.click),
    propensity: pick(log.propensity),
    timestamp: pick(log.timestamp),
    context: log.context.map((c) => (c.kind === 'numeric' ? { ...c, values: pick(c.values) } : { ...c, codes: pick(c.codes) })),
    affinity,
  };
}

async function readCsv(file: string): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return fail(file, `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let table: string[][];
  try {
    table = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    return fail(file, csvErrorReport(text, err).message);
  }
  if (table.length === 0) fail(file, 'empty file (no header row)');
  if (table.length === 1) fail(file, 'no data rows (only a header)');
  const width = table[0]!.length;
  for (let r = 1; r < table.length; r++) {
    if (table[r]!.length !== width) fail(file, `has ${table[r]!.length} fields, the header has ${width}`, r);
  }
  return table;
}

function columnIndex(file: string, header: readonly string[], required: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined && name !== '') fail(file, `header (line 1): the column name appears twice (places ${first + 1} and ${i + 1})`, undefined, name);
    seen.set(name, i);
  });
  const map = new Map<string, number>();
  for (const name of required) {
    const i = header.indexOf(name);
    if (i < 0) fail(file, `missing column (the header needs ${required.join(', ')})`, undefined, name);
    map.set(name, i);
  }
  return map;
}

/** Numeric when every non-empty value is a finite number (empty = 0), else categorical. */
function featureColumn(file: string, name: string, table: readonly (readonly string[])[], index: number): FeatureColumn {
  const n = table.length - 1;
  const values = new Float64Array(n);
  let numeric = true;
  for (let r = 0; r < n && numeric; r++) {
    const text = table[r + 1]![index]!;
    const v = text.trim() === '' ? 0 : Number(text);
    if (Number.isFinite(v)) values[r] = v;
    else numeric = false;
  }
  if (name === '') fail(file, `column ${index + 1} has no name`);
  if (numeric) return { name, kind: 'numeric', values };
  const categories: string[] = [];
  const seen = new Map<string, number>();
  const codes = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const text = table[r + 1]![index]!;
    let code = seen.get(text);
    if (code === undefined) {
      code = categories.length;
      categories.push(text);
      seen.set(text, code);
    }
    codes[r] = code;
  }
  return { name, kind: 'categorical', categories, codes };
}

async function loadItems(file: string): Promise<{ ids: string[]; features: FeatureColumn[] }> {
  const table = await readCsv(file);
  const header = table[0]!;
  const idCol = header.indexOf('item_id');
  if (idCol < 0) fail(file, 'missing column', undefined, 'item_id');
  const ids: string[] = [];
  const seen = new Set<string>();
  for (let r = 1; r < table.length; r++) {
    const id = table[r]![idCol]!;
    if (id === '') fail(file, 'empty item id', r, 'item_id');
    if (seen.has(id)) fail(file, `item ${JSON.stringify(id)} is listed twice`, r, 'item_id');
    seen.add(id);
    ids.push(id);
  }
  const features: FeatureColumn[] = [];
  header.forEach((name, i) => {
    if (i === idCol || (i === 0 && name === '')) return; // OBD's nameless row index
    features.push(featureColumn(file, name, table, i));
  });
  return { ids, features };
}
