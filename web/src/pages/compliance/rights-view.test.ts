import { describe, expect, it } from 'vitest';
import { reasonProblem, resolutionBody, resolvePath, ticketListPath, withResolved, type TicketMetadata } from './rights-view.ts';

const row = (id: string, over: Partial<TicketMetadata> = {}): TicketMetadata => ({
  id,
  kind: 'access',
  status: 'open',
  createdAt: 1,
  dueAt: 2,
  overdue: false,
  closedAt: null,
  ...over,
});

describe('rights view rules', () => {
  it('builds list URLs from the filter and cursor', () => {
    expect(ticketListPath({ status: 'all', overdueOnly: false })).toBe('/api/v1/compliance/tickets?status=all&limit=50');
    expect(ticketListPath({ status: 'open', overdueOnly: true }, '17.abc_-')).toBe('/api/v1/compliance/tickets?status=open&limit=50&overdue=true&after=17.abc_-');
    expect(resolvePath('a/b')).toBe('/api/v1/compliance/tickets/a%2Fb/resolve');
  });

  it('needs a non-blank reason to reject, and at most 1000 characters for any outcome', () => {
    expect(reasonProblem('rejected', '')).toBe('reasonRequired');
    expect(reasonProblem('rejected', '  \n ')).toBe('reasonRequired');
    expect(reasonProblem('rejected', '不属于本平台处理的数据')).toBeNull();
    expect(reasonProblem('completed', '')).toBeNull();
    expect(reasonProblem('completed', 'x'.repeat(1001))).toBe('reasonTooLong');
    // Counted in characters, as the server counts: 1000 Chinese characters or emoji are allowed.
    expect(reasonProblem('rejected', '😀'.repeat(1000))).toBeNull();
  });

  it('sends the reason trimmed, and none when it is blank', () => {
    expect(resolutionBody('rejected', '  duplicate  ')).toEqual({ outcome: 'rejected', reason: 'duplicate' });
    expect(resolutionBody('completed', '   ')).toEqual({ outcome: 'completed' });
  });

  it('updates a resolved row in place, dropping it when the filter no longer matches', () => {
    const items = [row('a'), row('b', { overdue: true }), row('c')];
    const b = row('b', { status: 'rejected', closedAt: 5 });
    expect(withResolved(items, b, { status: 'all', overdueOnly: false }).map((r) => [r.id, r.status])).toEqual([
      ['a', 'open'],
      ['b', 'rejected'],
      ['c', 'open'],
    ]);
    expect(withResolved(items, b, { status: 'open', overdueOnly: false }).map((r) => r.id)).toEqual(['a', 'c']);
    expect(withResolved(items, b, { status: 'all', overdueOnly: true }).map((r) => r.id)).toEqual(['a', 'c']);
  });
});
