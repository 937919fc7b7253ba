/**
 * What to tell a person whose CSV file csv-parse refused. csv-parse reports where it stopped: for a
 * quote that is never closed that is the end of the file, not the line to fix, so the line where
 * the quote was opened is found here (RFC 4180: a quote opens a field at its start; `""` inside is
 * an escaped quote).
 */
export interface CsvErrorReport {
  /** The line to look at (1-based), when known. */
  line?: number;
  /** One sentence, naming the line. */
  message: string;
}

/** The line on which a quoted field opens that is never closed, or undefined when every quote closes. */
export function unclosedQuoteLine(text: string): number | undefined {
  let line = 1;
  let fieldStart = true;
  let openedAt: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (openedAt !== undefined) {
      if (c === 0x22) {
        if (text.charCodeAt(i + 1) === 0x22) i++;
        else {
          openedAt = undefined;
          fieldStart = false;
        }
      } else if (c === 0x0a) line++;
      continue;
    }
    if (c === 0x0a) {
      line++;
      fieldStart = true;
    } else if (c === 0x2c) fieldStart = true;
    else if (c === 0x22 && fieldStart) openedAt = line;
    else if (c !== 0x0d) fieldStart = false;
  }
  return openedAt;
}

/** A csv-parse error as one sentence with the line to fix. */
export function csvErrorReport(text: string, err: unknown): CsvErrorReport {
  const e = err as { code?: string; lines?: number; message?: string };
  if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
    const line = unclosedQuoteLine(text);
    if (line !== undefined) return { line, message: `not valid CSV: the quote opened on line ${line} is never closed` };
  }
  const line = typeof e.lines === 'number' ? e.lines : undefined;
  return { ...(line !== undefined ? { line } : {}), message: `not valid CSV${line !== undefined ? ` near line ${line}` : ''}: ${e.message ?? String(err)}` };
}
