/**
 * Consent, profile and interest-tag reads are cached per node. A decision, a profile change, a tag
 * change or an erasure on one node reaches another node's next check through the bus: never a stale
 * "allowed", never a deleted tag ranked on.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { MemoryBus } from '../../src/bus/index.js';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { signIn, testApp } from '../support/app.js';
import { freshStorage } from '../support/databases.js';
import type { Storage } from '../../src/storage/index.js';

type Node = Awaited<ReturnType<typeof buildApp>>;

/** Two nodes on one fresh database and one in-process bus, closed afterwards. */
async function onTwoNodes(run: (a: Node, b: Node, storage: Storage) => Promise<void>): Promise<void> {
  const { storage, dispose } = await freshStorage('sqlite');
  const template = await testApp('sqlite');
  await template.close();
  const bus = new MemoryBus();
  const a = await buildApp(template.config, { logger: false, storage, bus });
  const b = await buildApp(template.config, { logger: false, storage, bus });
  try {
    await run(a, b, storage);
  } finally {
    await a.close();
    await b.close();
    await dispose();
  }
}

describe('two nodes on one database and one bus', () => {
  it('see each other’s consent decisions, personalisation switches and erasures on the next check', async () => {
    await onTwoNodes(async (a, b) => {
      const device = 'two-nodes-device-0000000001';
      const allowsOnB = () => b.services.consent.allows(device, 'demo-brand', 'personalised_recommendations');
      expect(await allowsOnB()).toBe(false); // B now holds "no decision" in its cache

      const notice = (await a.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
      const decide = (method: string, granted: string[]) =>
        a.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method, granted } });
      expect((await decide('accept_all', [...PURPOSES])).statusCode).toBe(201);
      expect(await allowsOnB()).toBe(true);

      await a.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: { 'x-qingliu-device': device }, payload: { brandId: 'demo-brand', on: false } });
      expect(await allowsOnB()).toBe(false);
      await a.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: { 'x-qingliu-device': device }, payload: { brandId: 'demo-brand', on: true } });
      expect(await allowsOnB()).toBe(true);

      await a.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: { 'x-qingliu-device': device }, payload: { brandId: 'demo-brand', ageBand: '14_to_17' } });
      expect(await allowsOnB()).toBe(false);
      // Erasure on A: B's cached profile goes too (the consent record itself is kept, as evidence).
      await a.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: { 'x-qingliu-device': device }, payload: { confirm: true } });
      expect((await b.inject({ method: 'GET', url: '/api/v1/privacy/profile?brandId=demo-brand', headers: { 'x-qingliu-device': device } })).json().ageBand).toBeNull();

      expect((await decide('withdraw', [])).statusCode).toBe(201);
      expect(await allowsOnB()).toBe(false);
    });
  });

  it('forget an erased viewer’s assistant conversation on every node, not only the one that erased', async () => {
    await onTwoNodes(async (a, b) => {
      const admin = await signIn(a, 'admin');
      expect((await a.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} })).statusCode).toBe(200);
      const device = 'two-nodes-assistant-000001';
      const h = { 'x-qingliu-device': device };
      // The viewer asks on B: B remembers which product the conversation is about (session memory, no consent needed).
      const product = ((await b.inject('/api/v1/sessions/demo')).json() as { products: { id: string; name: { zh: string } }[] }).products[1]!;
      const asked = await b.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', headers: h, payload: { question: `${product.name.zh}多少钱`, locale: 'zh-CN' } });
      expect(asked.json().productIds, asked.body).toEqual([product.id]);
      const subject = b.services.protection.subjectFor(device, b.services.region);
      const onB = async () => (await b.services.assistant.exportFor(subject, [])).map((r) => r.kind);
      expect(await onB()).toEqual(['session_memory']);
      // Erased on A: B's memory of the conversation goes as well.
      expect((await a.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: h, payload: { confirm: true } })).statusCode).toBe(200);
      expect(await onB()).toEqual([]);
    });
  });

  it('share the assistant’s memory of the show: a follow-up on another node knows “它”, and a download there shows it', async () => {
    await onTwoNodes(async (a, b) => {
      const admin = await signIn(a, 'admin');
      expect((await a.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} })).statusCode).toBe(200);
      const device = 'two-nodes-follow-up-000001';
      const h = { 'x-qingliu-device': device };
      const product = ((await b.inject('/api/v1/sessions/demo')).json() as { products: { id: string; name: { zh: string } }[] }).products[2]!;
      const asked = await b.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', headers: h, payload: { question: `${product.name.zh}多少钱`, locale: 'zh-CN' } });
      expect(asked.json().productIds, asked.body).toEqual([product.id]);
      const followUp = await a.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', headers: h, payload: { question: '它适合多大的宝宝', locale: 'zh-CN' } });
      expect(followUp.json().productIds, followUp.body).toEqual([product.id]);
      const download = (await a.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h })).json() as { chat: { kind: string; sessionId?: string; turns?: { productIds: string[] }[] }[] };
      const memory = download.chat.filter((r) => r.kind === 'session_memory');
      expect(memory).toHaveLength(1);
      expect(memory[0]!.sessionId).toBe('demo');
      expect(memory[0]!.turns!.map((turn) => turn.productIds[0])).toEqual([product.id, product.id]);
    });
  });

  it('forget, on every node, what a viewer’s withdrawal covers: their in-session behaviour (the show’s conversation needs no consent)', async () => {
    await onTwoNodes(async (a, b) => {
      const admin = await signIn(a, 'admin');
      expect((await a.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} })).statusCode).toBe(200);
      const device = 'two-nodes-withdrawal-00001';
      const h = { 'x-qingliu-device': device };
      const notice = (await a.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
      const decide = (method: string, granted: string[]) =>
        a.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method, granted } });
      expect((await decide('accept_all', [...PURPOSES])).statusCode).toBe(201);

      // On B: a behaviour event under the consent (B's recommender notes it) and a question (B's session memory).
      const product = ((await b.inject('/api/v1/sessions/demo')).json() as { products: { id: string; name: { zh: string } }[] }).products[1]!;
      const viewed = await b.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: device, type: 'click', productId: product.id, clientEventId: 'withdrawal-click-1' } });
      expect(viewed.json(), viewed.body).toMatchObject({ stored: true });
      const asked = await b.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', headers: h, payload: { question: `${product.name.zh}多少钱`, locale: 'zh-CN' } });
      expect(asked.json().productIds, asked.body).toEqual([product.id]);
      const subject = b.services.protection.subjectFor(device, b.services.region);
      const behaviourOnB = () => b.services.recommender.behaviour.of(subject, Date.now());
      const memoryOnB = async () => (await b.services.assistant.exportFor(subject, [])).map((r) => r.kind);
      expect(behaviourOnB()?.viewed.has(product.id)).toBe(true);
      expect(await memoryOnB()).toContain('session_memory');

      // Withdrawn on A, everything but the strictly necessary: B holds no behaviour of the viewer any more;
      // the assistant's memory of the running show needs no consent (AI4) and stays until the show ends.
      expect((await decide('withdraw', [])).statusCode).toBe(201);
      expect(behaviourOnB()).toBeUndefined();
      expect(await memoryOnB()).toEqual(['session_memory']);
    });
  });

  it('archive the guardian notice at a withdrawal whose grant predates the archive, on another node', async () => {
    await onTwoNodes(async (a, b, storage) => {
      const child = 'two-nodes-child-0000000001';
      const h = (device: string) => ({ 'x-qingliu-device': device });
      expect((await a.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: h(child), payload: { brandId: 'demo-brand', ageBand: 'under_14' } })).statusCode).toBe(200);
      const { code } = (await a.inject({ method: 'POST', url: '/api/v1/privacy/guardian-requests', headers: h(child), payload: { brandId: 'demo-brand' } })).json();
      const notice = (await a.inject({ method: 'POST', url: '/api/v1/guardian/notice', payload: { code, locale: 'zh-CN' } })).json();
      const granted = await a.inject({
        method: 'POST',
        url: '/api/v1/guardian/consent',
        headers: h('two-nodes-guardian-0000001'),
        payload: { code, relationship: 'parent', granted: ['model_improvement'], noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN' },
      });
      expect(granted.statusCode, granted.body).toBe(201);
      // As if granted before texts were archived; the withdrawal is made on a node that never saw the grant.
      await storage.db.deleteFrom('notice_texts').execute();
      expect((await b.inject({ method: 'POST', url: '/api/v1/privacy/guardian-consent/withdraw', headers: h(child), payload: { brandId: 'demo-brand' } })).statusCode).toBe(201);
      expect((await b.inject({ method: 'GET', url: `/api/v1/notices/${notice.hash}` })).json()).toMatchObject({ kind: 'guardian', text: notice.text });
    });
  });

  it('see each other’s interest-tag changes: new events, deleted tags and withdrawal', async () => {
    await onTwoNodes(async (a, b) => {
      const device = 'two-nodes-tags-device-00001';
      const h = { 'x-qingliu-device': device };
      const notice = (await a.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
      const decide = (method: string, granted: string[]) =>
        a.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method, granted } });
      expect((await decide('accept_all', [...PURPOSES])).statusCode).toBe(201);
      const room = (await a.inject('/api/v1/sessions/demo')).json() as { products: { id: string; category: string }[] };
      const first = room.products[0]!;
      const other = room.products.find((p) => p.category !== first.category)!;
      let n = 0;
      const send = async (node: typeof a, type: string, productId: string) =>
        expect(
          (await node.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: device, type, productId, clientEventId: `two-nodes-${++n}` } })).statusCode,
        ).toBe(202);
      const tagsOn = async (node: typeof a) =>
        ((await node.inject({ method: 'GET', url: '/api/v1/privacy/tags', headers: h })).json().items as { tag: string; weight: number }[]).map((t) => [t.tag, t.weight]);

      expect(await tagsOn(b)).toEqual([]); // B now holds "no tags" in its cache
      await send(a, 'view', first.id);
      expect(await tagsOn(b)).toEqual([[`category:${first.category}`, 1]]);
      await send(a, 'add_to_cart', first.id);
      expect(await tagsOn(b)).toEqual([[`category:${first.category}`, 4]]);

      // Deleted on B: A (which wrote the tag and cached it) no longer lists or ranks on it.
      expect((await b.inject({ method: 'DELETE', url: `/api/v1/privacy/tags/category:${first.category}`, headers: h })).statusCode).toBe(204);
      expect(await tagsOn(a)).toEqual([]);
      await send(b, 'click', other.id);
      expect(await tagsOn(a)).toEqual([[`category:${other.category}`, 2]]);

      // Withdrawal on A: every tag goes, on both nodes.
      expect((await decide('withdraw', [])).statusCode).toBe(201);
      expect(await tagsOn(b)).toEqual([]);
      expect(await tagsOn(a)).toEqual([]);
    });
  });
});
