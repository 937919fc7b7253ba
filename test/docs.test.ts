/** Docs that are tested: every error code, setting and CLI command appears in docs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/errors/index.js';
import { CONFIG_KEYS } from '../src/config/index.js';
import { buildCli } from '../src/cli/index.js';
import { parseCatalogue } from '../src/modules/catalogue/index.js';
import { parseDefinition } from '../src/modules/experiments/definition.js';

const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');

describe('docs', () => {
  it('lists every error code with its status', () => {
    const errors = doc('errors.md');
    for (const [code, status] of Object.entries(ERROR_STATUS)) expect(errors).toContain(`| \`${code}\` | ${status} |`);
  });

  it('lists every setting the config reads', () => {
    const config = doc('configuration.md');
    for (const key of CONFIG_KEYS) expect(config).toContain(`\`${key}\``);
    // And the config module reads no setting that is not declared.
    const source = readFileSync(new URL('../src/config/index.ts', import.meta.url), 'utf8');
    const read = [...source.matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]);
    for (const key of read) expect(CONFIG_KEYS).toContain(key);
  });

  it('lists every CLI command', () => {
    const cli = doc('cli.md');
    for (const command of buildCli().commands) {
      const subs = command.commands.length ? command.commands.map((s) => `qingliu ${command.name()} ${s.name()}`) : [`qingliu ${command.name()}`];
      for (const s of subs) expect(cli).toContain(s);
    }
  });

  it('ships the example files the README and the simulation guide name, and they are valid', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('examples/catalogue.csv');
    expect(readme).toContain('examples/experiment.json');
    expect(doc('simulation.md')).toContain('examples/experiment.json');
    const catalogue = parseCatalogue(readFileSync(new URL('../examples/catalogue.csv', import.meta.url), 'utf8'), 'csv');
    expect(catalogue.ok && catalogue.products.length).toBe(4);
    // The simulator adds the show's brand and session, as src/modules/simulation/driver/run.ts does.
    const experiment = parseDefinition({ brandId: 'demo-brand', sessionIds: ['demo'], ...JSON.parse(readFileSync(new URL('../examples/experiment.json', import.meta.url), 'utf8')) });
    expect(experiment.ok).toBe(true);
  });
});

