import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { systemContext } from '../../context/index.js';
import type { Brand } from '../catalogue/index.js';
import { NOTICE_VERSION, noticeFor } from './notice.js';
import { PURPOSES } from './purposes.js';
import type { ConsentLedger, ConsentRecord } from './ports.js';
import { MemoryNoticeArchive } from '../../../test/support/memory-notice-archive.js';
import { NoticeKeeper } from './notice-keeper.js';
import { ConsentService } from './service.js';

const brand: Brand = {
  id: 'b1',
  name: { zh: '暖芽', en: 'NuanYa' },
  operator: { zh: '暖芽演示公司', en: 'NuanYa Demo Co.' },
  contactEmail: 'privacy@nuanya.example',
  contactPhone: '400-000-0000',
  merchantLicence: 'L',
};

class ArrayLedger implements ConsentLedger {
  readonly records: ConsentRecord[] = [];
  async append(r: ConsentRecord) {
    this.records.push(r);
  }
  async latest(subject: string, brandId: string) {
    return this.records.filter((r) => r.subject === subject && r.brandId === brandId).at(-1);
  }
  async history(subject: string) {
    return this.records.filter((r) => r.subject === subject);
  }
  async page() {
    return this.records;
  }
  async purgeBefore(cutoff: number) {
    const before = this.records.length;
    this.records.splice(0, this.records.length, ...this.records.filter((r) => r.createdAt >= cutoff));
    return before - this.records.length;
  }
}

function setup() {
  const ledger = new ArrayLedger();
  const archive = new MemoryNoticeArchive();
  let now = 1_000;
  const clock = { now: () => ++now };
  const subjectOf = (deviceId: string) => createHmac('sha256', 'test-key').update(deviceId).digest('base64url');
  const brands = { getBrand: async (id: string) => (id === 'b1' ? brand : undefined) };
  const service = new ConsentService(ledger, new NoticeKeeper(archive, clock), brands, subjectOf, clock, 'cn-mainland');
  return { ledger, archive, service };
}

const ctx = systemContext('test');
const DEVICE = 'device-0123456789abcdef';

describe('notice', () => {
  it('names the operator, contact, every purpose with data and retention, and the rights channel (C2)', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const n = noticeFor(brand, locale);
      expect(n.text).toContain(locale === 'zh-CN' ? brand.operator.zh : brand.operator.en);
      expect(n.text).toContain(brand.contactEmail);
      expect(n.purposes.map((p) => p.id)).toEqual([...PURPOSES]);
      for (const p of n.purposes) expect(n.text).toContain(p.retention);
      expect(n.text).toMatch(locale === 'zh-CN' ? /隐私中心/ : /privacy centre/);
      expect(n.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(noticeFor(brand, 'zh-CN').hash).not.toBe(noticeFor(brand, 'en').hash);
  });
});

describe('ConsentService', () => {
  it('records each purpose separately, all others refused, with the notice version and hash (C2, C5)', async () => {
    const { ledger, service } = setup();
    const notice = (await service.notice('b1', 'zh-CN')) as { ok: true; value: { hash: string } };
    const r = await service.decide(ctx, {
      deviceId: DEVICE,
      brandId: 'b1',
      noticeVersion: NOTICE_VERSION,
      noticeHash: notice.value.hash,
      locale: 'zh-CN',
      method: 'custom',
      granted: ['marketing'],
    });
    expect(r.ok).toBe(true);
    const stored = ledger.records[0]!;
    expect(stored.granted).toEqual(['marketing']);
    expect(stored.refused).toEqual(PURPOSES.filter((p) => p !== 'marketing'));
    expect(stored.noticeHash).toBe(notice.value.hash);
    // The raw device id is never stored.
    expect(JSON.stringify(ledger.records)).not.toContain(DEVICE);
    expect(await service.allows(DEVICE, 'b1', 'marketing')).toBe(true);
    expect(await service.allows(DEVICE, 'b1', 'personalised_recommendations')).toBe(false);
  });

  it('archives the exact text before the record, so every hash in the ledger can be read as words (C2, C8)', async () => {
    const { ledger, archive, service } = setup();
    const en = noticeFor(brand, 'en');
    const base = { deviceId: DEVICE, brandId: 'b1', noticeVersion: NOTICE_VERSION, noticeHash: en.hash, locale: 'en' as const };
    expect((await service.decide(ctx, { ...base, method: 'accept_all', granted: [...PURPOSES] })).ok).toBe(true);
    expect((await service.decide(ctx, { ...base, deviceId: 'device-other-0123456789', method: 'decline_all', granted: [] })).ok).toBe(true);
    const kept = await service.archivedNotice(ledger.records[0]!.noticeHash);
    expect(kept).toMatchObject({ ok: true, value: { hash: en.hash, kind: 'consent', version: NOTICE_VERSION, locale: 'en', scope: 'b1', text: en.text } });
    // One text, however many decisions are made on it.
    expect(archive.texts.size).toBe(1);
    expect(await service.archivedNotice('0'.repeat(64))).toMatchObject({ ok: false, code: 'NOTICE_NOT_FOUND' });
  });

  it('records nothing when the text cannot be archived (no ledger row without its words)', async () => {
    const { ledger, archive, service } = setup();
    archive.failNext = true;
    const zh = noticeFor(brand, 'zh-CN');
    const decision = { deviceId: DEVICE, brandId: 'b1', noticeVersion: NOTICE_VERSION, noticeHash: zh.hash, locale: 'zh-CN' as const, method: 'decline_all' as const, granted: [] };
    await expect(service.decide(ctx, decision)).rejects.toThrow('archive unavailable');
    expect(ledger.records).toHaveLength(0);
    expect((await service.decide(ctx, decision)).ok).toBe(true);
    expect(ledger.records).toHaveLength(1);
    expect(archive.texts.get(zh.hash)?.text).toBe(zh.text);
  });

  it('allows nothing before a choice, and withdrawal takes effect on the next check (C1, C7)', async () => {
    const { service } = setup();
    expect(await service.allows(DEVICE, 'b1', 'personalised_recommendations')).toBe(false);
    expect((await service.status(DEVICE, 'b1')).needsAsking).toBe(true);
    const hash = noticeFor(brand, 'en').hash;
    const base = { deviceId: DEVICE, brandId: 'b1', noticeVersion: NOTICE_VERSION, noticeHash: hash, locale: 'en' as const };
    expect((await service.decide(ctx, { ...base, method: 'accept_all', granted: [...PURPOSES] })).ok).toBe(true);
    expect(await service.allows(DEVICE, 'b1', 'personalised_recommendations')).toBe(true);
    expect((await service.status(DEVICE, 'b1')).needsAsking).toBe(false);
    expect((await service.decide(ctx, { ...base, method: 'withdraw', granted: [] })).ok).toBe(true);
    expect(await service.allows(DEVICE, 'b1', 'personalised_recommendations')).toBe(false);
    expect((await service.history(DEVICE)).map((r) => r.method)).toEqual(['accept_all', 'withdraw']);
  });

  it('refuses forged, outdated or malformed decisions and stores nothing', async () => {
    const { ledger, service } = setup();
    const hash = noticeFor(brand, 'zh-CN').hash;
    const base = { deviceId: DEVICE, brandId: 'b1', noticeVersion: NOTICE_VERSION, noticeHash: hash, locale: 'zh-CN' as const, method: 'custom' as const };
    const cases = [
      [{ ...base, granted: ['location_tracking'] }, 'UNKNOWN_PURPOSE'],
      [{ ...base, noticeVersion: '2020-01-01', granted: [] }, 'NOTICE_OUTDATED'],
      [{ ...base, noticeHash: 'f'.repeat(64), granted: [] }, 'NOTICE_MISMATCH'],
      // The English notice's hash does not vouch for the Chinese text.
      [{ ...base, noticeHash: noticeFor(brand, 'en').hash, granted: [] }, 'NOTICE_MISMATCH'],
      [{ ...base, brandId: 'nope', granted: [] }, 'NOT_FOUND'],
      [{ ...base, method: 'accept_all' as const, granted: ['marketing'] }, 'VALIDATION_FAILED'],
      [{ ...base, method: 'decline_all' as const, granted: ['marketing'] }, 'VALIDATION_FAILED'],
    ] as const;
    for (const [decision, code] of cases) {
      const r = await service.decide(ctx, decision as unknown as Parameters<ConsentService['decide']>[1]);
      expect(r).toMatchObject({ ok: false, code });
    }
    expect(ledger.records).toEqual([]);
  });

  it('asks again when a purpose was not decided under the current notice (C6)', async () => {
    const { ledger, service } = setup();
    const subject = createHmac('sha256', 'test-key').update(DEVICE).digest('base64url');
    // A decision from an older notice that did not yet name merchant_sharing.
    await ledger.append({
      id: 'old',
      subject,
      brandId: 'b1',
      granted: ['marketing'],
      refused: ['personalised_recommendations', 'assistant_memory', 'model_improvement'],
      noticeVersion: '2026-01-01',
      noticeHash: '0'.repeat(64),
      locale: 'zh-CN',
      method: 'custom',
      region: 'cn-mainland',
      createdAt: 1,
    });
    const status = await service.status(DEVICE, 'b1');
    expect(status.needsAsking).toBe(true);
    expect(await service.allows(DEVICE, 'b1', 'marketing')).toBe(true);
    expect(await service.allows(DEVICE, 'b1', 'merchant_sharing')).toBe(false);
  });
});
