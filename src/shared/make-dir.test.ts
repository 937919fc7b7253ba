import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDir, makeDirSync } from './make-dir.js';

const roots: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-mkdir-'));
  roots.push(d);
  return d;
};
afterEach(() => {
  for (const d of roots.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe.each([
  ['makeDirSync', async (d: string, mode?: number) => makeDirSync(d, mode)],
  ['makeDir', makeDir],
] as const)('%s', (_name, make) => {
  it('creates every missing level, with the mode asked for, and is a no-op when the directory exists', async () => {
    const root = tmp();
    const deep = path.join(root, 'a', 'b', 'c');
    await make(deep, 0o700);
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(root, 'a')).mode & 0o777).toBe(0o700 & ~process.umask());
    await make(deep);
    await make(root);
    expect(fs.readdirSync(path.join(root, 'a', 'b'))).toEqual(['c']);
  });

  it('accepts a relative path', async () => {
    const root = tmp();
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await make(path.join('x', 'y'));
    } finally {
      process.chdir(cwd);
    }
    expect(fs.statSync(path.join(root, 'x', 'y')).isDirectory()).toBe(true);
  });

  it('fails with ENOTDIR when a level on the way is a file, and creates nothing under it', async () => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'file'), '');
    await expect(make(path.join(root, 'file', 'sub', 'deeper'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  // Node's recursive mkdir retries this forever (the parent exists, the child is refused with ENOENT).
  it.runIf(process.platform === 'linux')('fails at once, instead of looping, where the parent refuses new entries (/proc)', async () => {
    await expect(make('/proc/qingliu-no-such/dir')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
