/**
 * The viewer is addressed one way in Chinese: 您, as the consent and privacy texts (legal wording)
 * do. Covers what a viewer reads from the live page: the room, its recommendations, the consent and
 * privacy dialogs, the guardian page and "how recommendations work".
 */
import { describe, expect, it } from 'vitest';
import zhCN from './zh-CN.json';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return typeof value === 'string' ? [[path, value] as [string, string]] : flatten(value, path);
  });
}

/** `errors.` too: the live room shows the server's refusals (a chat ban, a spending limit) in these words. */
const VIEWER = ['live.', 'recs.', 'consent.', 'privacy.', 'guardian.', 'howRecs.', 'errors.'];
/** Staff pages under those keys (the host console's recommendation health). */
const STAFF = ['recs.health.'];

describe('how the viewer is addressed in Chinese', () => {
  it('is 您 throughout the live room, its recommendations and the privacy dialogs, never 你', () => {
    const viewerFacing = flatten(zhCN).filter(([key]) => VIEWER.some((p) => key.startsWith(p)) && !STAFF.some((p) => key.startsWith(p)));
    expect(viewerFacing.filter(([, text]) => text.includes('您')).length).toBeGreaterThan(0);
    expect(viewerFacing.filter(([, text]) => text.includes('你'))).toEqual([]);
  });

  it('is 您 on the staff pages too (host and compliance consoles, sign-in): one product, one voice', () => {
    expect(flatten(zhCN).filter(([, text]) => text.includes('你'))).toEqual([]);
  });
});
