/**
 * The privacy centre says how long the assistant's kept memory lasts (privacy.data.assistantMemoryNote)
 * in words the page cannot fill in: the export it shows carries no such figure. So the number in
 * both languages is checked against the one the assistant enforces (MEMORY_KEEP_DAYS).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MEMORY_KEEP_DAYS } from '../src/modules/assistant/index.js';

const note = (file: string): string =>
  (JSON.parse(readFileSync(new URL(`../web/src/i18n/${file}`, import.meta.url), 'utf8')) as { privacy: { data: { assistantMemoryNote: string } } }).privacy.data.assistantMemoryNote;

describe('the privacy centre’s words on the assistant’s memory', () => {
  it('give the days the assistant keeps it after its last use, in both languages', () => {
    expect(note('zh-CN.json').match(/最后一次使用后保留 (\d+) 天/)?.[1]).toBe(String(MEMORY_KEEP_DAYS));
    expect(note('en.json').match(/for (\d+) days after its last use/)?.[1]).toBe(String(MEMORY_KEEP_DAYS));
  });
});
