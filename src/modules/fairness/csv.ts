/**
 * Reading the two inputs of the fairness commands, checked value by value:
 *
 * - a decision log (`qingliu fairness`): one row per decision, with a group column, a binary
 *   prediction (1 = recommended / selected), optionally a binary label and a non-negative weight;
 * - a ranking log (`qingliu exposure`): one row per (list, item, rank), with the item's group and
 *   optionally a relevance in [0, 1].
 *
 * CSV is parsed by csv-parse (quotes, embedded newlines, a UTF-8 byte-order mark). Rows go straight
 * into typed columns (group codes, Uint8 predictions), so a large log costs a few bytes per row.
 * The first problem is returned as a value naming the file, the 1-based data row, the line it starts
 * on, and the column (bad input is an expected outcome, not a fault).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { csvErrorReport } from '../../shared/csv-error.js';
import { compareNames, type DecisionColumns } from './metrics/group.js';
import type { RankingColumns } from './metrics/exposure.js';

export interface CsvProblem {
  readonly file: string;
  /** 1-based data row (the header is row 0); absent for problems with the file or its header. */
  readonly row?: number;
  /** 1-based line of the file where that row starts. */
  readonly line?: number;
  readonly column?: string;
  readonly reason: string;
}

export type CsvResult<T> = { ok: true; data: T } | { ok: false; problem: CsvProblem };

/** "FILE, row 3 (line 4), column prediction: prediction must be 0 or 1 (got "2")". */
export function describeCsvProblem(p: CsvProblem): string {
  const row = p.row !== undefined ? `row ${p.row}${p.line !== undefined ? ` (line ${p.line})` : ''}` : undefined;
  const where = [p.file, row, p.column !== undefined ? `column ${p.column}` : undefined].filter(Boolean).join(', ');
  return `${where}: ${p.reason}`;
}

class Problem extends Error {
  constructor(readonly problem: CsvProblem) {
    super(problem.reason);
  }
}

export interface Where {
  readonly file: string;
  readonly row: number;
  readonly line: number;
}

const fail = (file: string, reason: string, at?: { row: number; line: number }, column?: string): never => {
  throw new Problem({ file, reason, ...(at ? { row: at.row, line: at.line } : {}), ...(column !== undefined ? { column } : {}) });
};

/** A typed array that grows by doubling. */
class Growable<T extends Int32Array | Uint8Array | Float64Array> {
  #buf: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.#buf = make(1024);
  }
  push(v: number): void {
    if (this.length === this.#buf.length) {
      const next = this.make(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.length++] = v;
  }
  /** The filled part (a copy of exactly `length` elements, so the spare capacity is released). */
  done(): T {
    return this.#buf.slice(0, this.length) as T;
  }
}

/** Codes for string values in first-seen order. */
class Codes {
  readonly names: string[] = [];
  readonly #index = new Map<string, number>();
  code(name: string): number {
    let c = this.#index.get(name);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(name);
      this.#index.set(name, c);
    }
    return c;
  }
  get(name: string): number | undefined {
    return this.#index.get(name);
  }
}

export type RowVisitor = (fields: string[], at: Where) => void;

/**
 * Parses `text` record by record: `onHeader` gets the (trimmed) header names, `onRow` each data
 * record with its 1-based row and the line it starts on. Nothing is kept but what the callbacks
 * keep. Text without any double quote and with one line ending throughout is split on commas and
 * line ends directly (what RFC 4180 parsing gives when nothing is quoted, about 8× faster than
 * csv-parse); anything else goes through csv-parse. `allowFastPath: false` forces csv-parse.
 */
export function scanCsv(text: string, file: string, onHeader: (header: string[]) => void, onRow: RowVisitor, options: { allowFastPath?: boolean } = {}): number {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endings = options.allowFastPath === false ? undefined : plainLineEnding(body);
  let width = -1;
  let rows = 0;
  const record = (fields: string[], at: Where) => {
    if (width < 0) {
      width = fields.length;
      onHeader(fields.map((h) => h.trim()));
      return;
    }
    if (fields.length !== width) fail(file, `has ${fields.length} fields, the header has ${width}`, at);
    rows++;
    onRow(fields, at);
  };
  if (endings !== undefined) {
    const step = endings === 'crlf' ? 2 : 1;
    let line = 0;
    for (let start = 0; start < body.length; ) {
      let end = body.indexOf('\n', start);
      const next = end < 0 ? body.length : end + 1;
      if (end < 0) end = body.length;
      else if (step === 2) end -= 1;
      line++;
      if (end > start) record(body.slice(start, end).split(','), { file, row: width < 0 ? 0 : rows + 1, line });
      start = next;
    }
  } else {
    try {
      parse(body, {
        skip_empty_lines: true,
        relax_column_count: true,
        on_record: (fields: string[], context: { records: number; lines: number }) => {
          // `lines` is where the record ends; a quoted cell may hold newlines, so count back to its start.
          let inner = 0;
          for (const f of fields) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) inner++;
          record(fields, { file, row: context.records - 1, line: context.lines - inner });
          return null;
        },
      });
    } catch (err) {
      if (err instanceof Problem) throw err;
      fail(file, csvErrorReport(body, err).message);
    }
  }
  if (width < 0) fail(file, 'empty file (no header row)');
  if (rows === 0) fail(file, 'no data rows (only a header)');
  return rows;
}

/**
 * 'lf' or 'crlf' when the text has no double quote and one line ending throughout (so splitting is
 * exactly what a CSV parser does); undefined otherwise.
 */
function plainLineEnding(text: string): 'lf' | 'crlf' | undefined {
  if (text.includes('"')) return undefined;
  const cr = text.indexOf('\r');
  if (cr < 0) return 'lf';
  // Every \r must start a \r\n and every \n end one.
  let crs = 0;
  for (let i = cr; i >= 0; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== 10) return undefined;
    crs++;
  }
  let lfs = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lfs++;
  return lfs === crs ? 'crlf' : undefined;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a CSV file' : `cannot read (${code ?? 'error'})`);
  }
}

/** Index of each named column in the header; missing or repeated names are problems. */
function columnIndex(file: string, header: readonly string[], wanted: readonly string[]): number[] {
  return wanted.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) fail(file, `missing column (the header has: ${header.join(', ')})`, undefined, name);
    if (header.indexOf(name, i + 1) >= 0) fail(file, 'the header names this column more than once', undefined, name);
    return i;
  });
}

function binary(text: string, what: string, file: string, at: Where, column: string): 0 | 1 {
  const t = text.trim();
  if (t === '1') return 1;
  if (t === '0') return 0;
  const v = t === '' ? Number.NaN : Number(t);
  if (v === 0 || v === 1) return v;
  return fail(file, `${what} must be 0 or 1 (got ${JSON.stringify(text)})`, at, column);
}

function nonEmpty(text: string, what: string, file: string, at: Where, column: string): string {
  const t = text.trim();
  if (t === '') fail(file, `empty ${what}`, at, column);
  return t;
}

/** Renumbers codes so that names are in code-point order. */
function sortCodes(names: readonly string[], codes: Int32Array): { names: string[]; codes: Int32Array } {
  const sorted = [...names].sort(compareNames);
  const newCode = new Int32Array(names.length);
  names.forEach((name, old) => (newCode[old] = sorted.indexOf(name)));
  for (let i = 0; i < codes.length; i++) codes[i] = newCode[codes[i]!]!;
  return { names: sorted, codes };
}

async function attempt<T>(f: () => Promise<T> | T): Promise<CsvResult<T>> {
  try {
    return { ok: true, data: await f() };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, problem: err.problem };
    throw err;
  }
}

// ---- decision logs ----

/** Header names of a decision log's columns. */
export interface DecisionFileColumns {
  readonly group: string;
  readonly prediction: string;
  readonly label?: string | undefined;
  readonly weight?: string | undefined;
}

/** Decision columns read from CSV text (`file` names it in problems). Groups are coded in name order. */
export function parseDecisionCsv(text: string, file: string, names: DecisionFileColumns): CsvResult<DecisionColumns> {
  try {
    return { ok: true, data: decisions(text, file, names) };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** Reads and checks a decision log CSV. */
export function readDecisionFile(file: string, names: DecisionFileColumns): Promise<CsvResult<DecisionColumns>> {
  return attempt(async () => decisions(await readText(file), file, names));
}

function decisions(text: string, file: string, names: DecisionFileColumns): DecisionColumns {
  const groupCodes = new Codes();
  const group = new Growable((n) => new Int32Array(n));
  const prediction = new Growable((n) => new Uint8Array(n));
  const label = names.label !== undefined ? new Growable((n) => new Uint8Array(n)) : undefined;
  const weight = names.weight !== undefined ? new Growable((n) => new Float64Array(n)) : undefined;
  let gi = -1;
  let pi = -1;
  let li = -1;
  let wi = -1;
  scanCsv(
    text,
    file,
    (header) => {
      const wanted = [names.group, names.prediction, ...(names.label !== undefined ? [names.label] : []), ...(names.weight !== undefined ? [names.weight] : [])];
      const idx = columnIndex(file, header, wanted);
      gi = idx[0]!;
      pi = idx[1]!;
      let k = 2;
      if (names.label !== undefined) li = idx[k++]!;
      if (names.weight !== undefined) wi = idx[k++]!;
    },
    (fields, at) => {
      group.push(groupCodes.code(nonEmpty(fields[gi]!, 'group value', file, at, names.group)));
      prediction.push(binary(fields[pi]!, 'prediction', file, at, names.prediction));
      if (label) label.push(binary(fields[li]!, 'label', file, at, names.label!));
      if (weight) {
        const text = fields[wi]!;
        const w = text.trim() === '' ? Number.NaN : Number(text);
        if (!(Number.isFinite(w) && w >= 0)) fail(file, `weight must be a number ≥ 0 (got ${JSON.stringify(text)})`, at, names.weight);
        weight.push(w);
      }
    },
  );
  const sorted = sortCodes(groupCodes.names, group.done());
  return { groups: sorted.names, group: sorted.codes, prediction: prediction.done(), label: label?.done(), weight: weight?.done() };
}

// ---- ranking logs ----

/** Header names of a ranking log's columns. */
export interface RankingFileColumns {
  readonly list: string;
  readonly item: string;
  readonly rank: string;
  readonly group: string;
  readonly relevance?: string | undefined;
}

export interface RankingData extends RankingColumns {
  readonly rows: number;
  readonly listNames: readonly string[];
}

/** Ranking columns read from CSV text. */
export function parseRankingCsv(text: string, file: string, names: RankingFileColumns): CsvResult<RankingData> {
  try {
    return { ok: true, data: rankings(text, file, names) };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** Reads and checks a ranking log CSV. */
export function readRankingFile(file: string, names: RankingFileColumns): Promise<CsvResult<RankingData>> {
  return attempt(async () => rankings(await readText(file), file, names));
}

const MAX_RANK = 2 ** 31 - 1;

/** A numeric key for a (code, value) pair while codes stay below 2^21 (else a string). */
const pairKey = (a: number, b: number): number | string => (a < 2 ** 21 ? a * 2 ** 32 + b : `${a}:${b}`);

function rankings(text: string, file: string, names: RankingFileColumns): RankingData {
  const lists = new Codes();
  const items = new Codes();
  const groups = new Codes();
  const itemGroup: number[] = [];
  const itemSeenAt: Where[] = [];
  const item = new Growable((n) => new Int32Array(n));
  const rank = new Growable((n) => new Int32Array(n));
  const relevance = names.relevance !== undefined ? new Growable((n) => new Float64Array(n)) : undefined;
  const rankTaken = new Map<number | string, Where>();
  const itemInList = new Map<number | string, Where>();
  let idx: number[] = [];
  const rows = scanCsv(
    text,
    file,
    (header) => {
      idx = columnIndex(file, header, [names.list, names.item, names.rank, names.group, ...(names.relevance !== undefined ? [names.relevance] : [])]);
    },
    (fields, at) => {
      const listName = nonEmpty(fields[idx[0]!]!, 'list id', file, at, names.list);
      const itemName = nonEmpty(fields[idx[1]!]!, 'item id', file, at, names.item);
      const rankText = fields[idx[2]!]!.trim();
      const r = /^\d+$/.test(rankText) ? Number(rankText) : Number.NaN;
      if (!(r >= 1 && r <= MAX_RANK)) fail(file, `rank must be a whole number ≥ 1 (got ${JSON.stringify(fields[idx[2]!])})`, at, names.rank);
      const groupName = nonEmpty(fields[idx[3]!]!, 'group value', file, at, names.group);
      const l = lists.code(listName);
      const known = items.get(itemName);
      const i = items.code(itemName);
      const g = groups.code(groupName);
      if (known === undefined) {
        itemGroup.push(g);
        itemSeenAt.push(at);
      } else if (itemGroup[i] !== g) {
        const first = itemSeenAt[i]!;
        fail(file, `item ${JSON.stringify(itemName)} is in group ${JSON.stringify(groups.names[itemGroup[i]!])} on row ${first.row} (line ${first.line}) but in ${JSON.stringify(groupName)} here`, at, names.group);
      }
      const rk = pairKey(l, r);
      const taken = rankTaken.get(rk);
      if (taken) fail(file, `list ${JSON.stringify(listName)} already has rank ${r} on row ${taken.row} (line ${taken.line})`, at, names.rank);
      rankTaken.set(rk, at);
      const ik = pairKey(l, i);
      const twice = itemInList.get(ik);
      if (twice) fail(file, `item ${JSON.stringify(itemName)} already appears in list ${JSON.stringify(listName)} on row ${twice.row} (line ${twice.line})`, at, names.item);
      itemInList.set(ik, at);
      if (relevance) {
        const t = fields[idx[4]!]!;
        const v = t.trim() === '' ? Number.NaN : Number(t);
        if (!(v >= 0 && v <= 1)) fail(file, `relevance must be a number in [0, 1] (got ${JSON.stringify(t)})`, at, names.relevance);
        relevance.push(v);
      }
      item.push(i);
      rank.push(r);
    },
  );
  const sorted = sortCodes(groups.names, Int32Array.from(itemGroup));
  return {
    rows,
    lists: lists.names.length,
    listNames: lists.names,
    items: items.names,
    groups: sorted.names,
    itemGroup: sorted.codes,
    item: item.done(),
    rank: rank.done(),
    relevance: relevance?.done(),
  };
}
