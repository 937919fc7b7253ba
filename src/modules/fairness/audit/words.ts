/**
 * A group's name in a report: the words for a segment value or a price band from the contract's
 * table, a catalogue category's name from the recommender's, and otherwise (a seller, a category
 * Qingliu does not know) the value itself.
 */
import { categoryWords } from '../../recommender/index.js';
import { GROUP_VALUE_WORDS, type GroupWords } from './contract.js';

export function groupWords(dimension: string, group: string): GroupWords {
  if (dimension === 'category') return categoryWords(group) ?? { zh: group, en: group };
  const table = (GROUP_VALUE_WORDS as Readonly<Record<string, Readonly<Record<string, GroupWords>> | undefined>>)[dimension];
  return (table !== undefined && Object.hasOwn(table, group) ? table[group] : undefined) ?? { zh: group, en: group };
}
