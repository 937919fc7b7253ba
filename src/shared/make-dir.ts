/**
 * Creates a directory and its missing parents, one level at a time.
 *
 * Node's own `mkdir(…, { recursive: true })` never returns when a parent exists but refuses new
 * entries with ENOENT (any path under `/proc`, say): it retries the same level forever. Walking up
 * to the first existing ancestor and creating each missing level once turns that into an error.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException)?.code;

/** The levels to create, outermost first; throws if an existing level is not a directory. */
function missingLevels(dir: string, isDir: (p: string) => boolean | undefined): string[] {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    const found = isDir(current);
    if (found === true) break;
    if (found === false) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), { code: 'ENOTDIR', path: current });
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing.reverse();
}

/** `true` a directory, `false` something else, `undefined` nothing there. */
function statDirSync(p: string): boolean | undefined {
  try {
    return fs.statSync(p).isDirectory();
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export function makeDirSync(dir: string, mode?: number): void {
  for (const level of missingLevels(dir, statDirSync)) {
    try {
      fs.mkdirSync(level, mode === undefined ? undefined : { mode });
    } catch (err) {
      // Another process made it meanwhile: fine if it is a directory.
      if (codeOf(err) !== 'EEXIST' || statDirSync(level) !== true) throw err;
    }
  }
}

export async function makeDir(dir: string, mode?: number): Promise<void> {
  // The walk up is a handful of stat calls; only the creation is worth doing asynchronously.
  for (const level of missingLevels(dir, statDirSync)) {
    try {
      await fsp.mkdir(level, mode === undefined ? undefined : { mode });
    } catch (err) {
      if (codeOf(err) !== 'EEXIST' || statDirSync(level) !== true) throw err;
    }
  }
}
