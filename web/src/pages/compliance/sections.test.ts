import { describe, expect, it } from 'vitest';
import zhCN from '../../i18n/zh-CN.json';
import { SECTIONS, sectionFromHash } from './sections.ts';

describe('compliance sections', () => {
  it('routes hashes to sections and falls back to the consent ledger', () => {
    expect(sectionFromHash('#/rights').id).toBe('rights');
    expect(sectionFromHash('#/data-map').id).toBe('dataMap');
    expect(sectionFromHash('#access-log').id).toBe('accessLog');
    expect(sectionFromHash('#/export?x=1').id).toBe('export');
    expect(sectionFromHash('').id).toBe('consent');
    expect(sectionFromHash('#/nope').id).toBe('consent');
  });

  it('has a title for every section', () => {
    expect(SECTIONS).toHaveLength(9);
    expect(sectionFromHash('#/cross-border').id).toBe('crossBorder');
    expect(sectionFromHash('#/experiments').id).toBe('experiments');
    for (const section of SECTIONS) expect(zhCN.compliance.sections[section.id].title).toBeTruthy();
  });
});
