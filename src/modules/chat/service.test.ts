/**
 * The chat service's group commit on a real store (SQLite in memory): a viewer's send resolves only
 * once its batch committed, and is published only then; a failed commit fails the whole batch and
 * publishes nothing; a resend with the same client event id is stored once (in memory, after a
 * restart through the database's unique key, and across two nodes racing); the queue is bounded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/index.js';
import type { RequestContext } from '../../context/index.js';
import { openStorage, type Storage } from '../../storage/index.js';
import { KyselyChatStore } from './adapters/chat.kysely.js';
import type { ChatMessage } from './contract.js';
import type { ChatStore } from './ports.js';
import { ChatService, chatTopic, MAX_PENDING_MESSAGES, type ChatBusMessage, type ChatDeps } from './service.js';

const SESSION = 'room-1';
const host: RequestContext = { requestId: 'req-host', actor: { kind: 'staff', id: 'u-host', name: 'Host', role: 'host' }, locale: 'zh-CN' };

/** The real store, with a gate that holds message batches and a switch that fails the next ones. */
class TestStore extends KyselyChatStore {
  gate: Promise<void> | undefined;
  failNext = 0;
  batches = 0;
  override async transaction<T>(fn: (store: ChatStore) => Promise<T>): Promise<T> {
    this.batches++;
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk full');
    }
    return super.transaction(fn);
  }
}

let storage: Storage;
let store: TestStore;
let bus: MemoryBus;
let errors: unknown[];
let published: ChatBusMessage[];
let services: ChatService[];

beforeEach(async () => {
  storage = await openStorage('sqlite::memory:');
  store = new TestStore(storage.db);
  bus = new MemoryBus();
  errors = [];
  published = [];
  services = [];
  bus.subscribe(chatTopic(SESSION), (m) => published.push(m as ChatBusMessage));
});
afterEach(async () => {
  for (const s of services) await s.close();
  await storage.close();
});

function chat(over: Partial<ChatDeps> = {}, onStore: ChatStore = store): ChatService {
  const service = new ChatService(
    {
      store: onStore,
      sealer: {
        sealTextFor: async (subject, _field, plaintext) => `sealed:${subject}:${Buffer.from(plaintext).toString('base64')}`,
        openTextFor: async (_subject, _field, sealed) => Buffer.from(sealed.split(':')[2]!, 'base64').toString(),
      },
      subjectOf: (deviceId) => `subject-of-${deviceId}`,
      sessions: { get: async (id) => ({ id, brandId: 'brand-1', status: 'live', hostUserId: 'u-host' }), canManage: () => true },
      bus,
      clock: { now: () => Date.now() },
      onError: (err) => errors.push(err),
      ...over,
    },
    { perMinute: 600, burst: 100 },
  );
  services.push(service);
  return service;
}

const storedRows = () => storage.db.selectFrom('chat_messages').selectAll().where('session_id', '=', SESSION).orderBy('at').orderBy('id').execute();
const seen = () => published.flatMap((m) => (m.type === 'chat_message' ? [m.message] : []));
const device = (i: number) => `device-${String(i).padStart(4, '0')}-aaaaaaaaaaaa`;
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A held batch: resolves the gate when called. */
function holdBatches(): () => void {
  let release!: () => void;
  store.gate = new Promise<void>((r) => (release = r));
  return () => {
    store.gate = undefined;
    release();
  };
}

describe('group commit', () => {
  it('answers a send only after its batch committed, and publishes it only then', async () => {
    const service = chat();
    const release = holdBatches();
    let answered = false;
    const sending = service.postAsViewer(SESSION, { deviceId: device(1), text: '你好', clientEventId: 'evt-1' }).then((r) => {
      answered = true;
      return r;
    });
    await tick(80); // well past the 25 ms window: the batch is in its (held) transaction
    expect(answered).toBe(false);
    expect(seen()).toEqual([]);
    expect(await storedRows()).toEqual([]);
    release();
    const posted = await sending;
    expect(posted.ok).toBe(true);
    // Stored by the time it is answered (no explicit flush), with its client event id.
    const rows = await storedRows();
    expect(rows.map((r) => [r.id, r.client_event_id])).toEqual([[posted.ok && posted.value.id, 'evt-1']]);
    expect(seen().map((m) => m.text)).toEqual(['你好']);
  });

  it('writes many sends in one transaction and keeps their order', async () => {
    const service = chat();
    await service.history(SESSION); // the room loaded (its own flush) before counting
    const before = store.batches;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => service.postAsViewer(SESSION, { deviceId: device(i), text: `消息 ${i}`, clientEventId: `evt-${i}` })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.batches - before).toBe(1);
    const ids = results.map((r) => (r.ok ? r.value.id : ''));
    // Published in the order they were queued (their times never go back), each once, all stored.
    const times = seen().map((m) => m.at);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(seen().map((m) => m.id).sort()).toEqual([...ids].sort());
    expect((await storedRows()).map((r) => r.id).sort()).toEqual([...ids].sort());
    expect((await service.history(SESSION)).messages.map((m) => m.id)).toEqual(seen().map((m) => m.id));
  });

  it('fails every send of a batch whose commit failed, publishes none of it, and takes the resend', async () => {
    const service = chat();
    await service.history(SESSION);
    store.failNext = 1;
    const results = await Promise.all([1, 2, 3].map((i) => service.postAsViewer(SESSION, { deviceId: device(i), text: `m${i}`, clientEventId: `evt-${i}` })));
    for (const r of results) expect(r).toMatchObject({ ok: false, code: 'NOT_READY', extensions: { retryAfterSeconds: 1 } });
    expect(seen()).toEqual([]);
    expect(await storedRows()).toEqual([]);
    expect(errors).toHaveLength(1);
    // The page resends with the same ids: stored now, once each, and not taken for duplicates.
    const again = await Promise.all([1, 2, 3].map((i) => service.postAsViewer(SESSION, { deviceId: device(i), text: `m${i}`, clientEventId: `evt-${i}` })));
    expect(again.map((r) => r.ok && !r.value.duplicate)).toEqual([true, true, true]);
    expect(await storedRows()).toHaveLength(3);
    expect(seen()).toHaveLength(3);
  });

  it('holds staff and assistant messages to the commit too', async () => {
    const service = chat();
    await service.history(SESSION);
    const staff = await service.postAsStaff(host, SESSION, { text: '欢迎' });
    expect(staff.ok).toBe(true);
    const answer = await service.postAssistant(SESSION, { text: '有货', sources: [], handoff: false, replyTo: null });
    expect((await storedRows()).map((r) => [r.author_kind, r.client_event_id])).toEqual([
      ['staff', null],
      ['assistant', null],
    ]);
    expect(seen().map((m) => m.id)).toEqual([staff.ok && staff.value.id, answer.id]);
    store.failNext = 1;
    expect(await service.postAsStaff(host, SESSION, { text: '失败' })).toMatchObject({ ok: false, code: 'NOT_READY' });
    store.failNext = 1;
    await expect(service.postAssistant(SESSION, { text: '失败', sources: [], handoff: false, replyTo: null })).rejects.toThrow('disk full');
    expect(seen()).toHaveLength(2);
  });
});

describe('a resend (same client event id) is stored once', () => {
  it('answers a resend with the stored id, as a duplicate, publishing nothing', async () => {
    const service = chat();
    const outcomes: string[] = [];
    service.onOutcome((o) => outcomes.push(o));
    const first = await service.postAsViewer(SESSION, { deviceId: device(1), text: '第一', clientEventId: 'evt-1' });
    const second = await service.postAsViewer(SESSION, { deviceId: device(1), text: '第一', clientEventId: 'evt-1' });
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(first.value.duplicate).toBeUndefined();
    expect(second.value).toMatchObject({ id: first.value.id, at: first.value.at, duplicate: true });
    expect(await storedRows()).toHaveLength(1);
    expect(seen()).toHaveLength(1);
    expect(outcomes).toEqual(['accepted', 'duplicate']);
    // Another viewer may use the same id; so may the same viewer in another room.
    expect(await service.postAsViewer(SESSION, { deviceId: device(2), text: '第二', clientEventId: 'evt-1' })).toMatchObject({ ok: true, value: { text: '第二' } });
    expect(await storedRows()).toHaveLength(2);
  });

  it('answers sends racing with one id (before the first commit) with one message', async () => {
    const service = chat();
    await service.history(SESSION);
    const release = holdBatches();
    const sends = [0, 1, 2].map(() => service.postAsViewer(SESSION, { deviceId: device(1), text: '同一条', clientEventId: 'evt-same' }));
    await tick(40);
    release();
    const results = await Promise.all(sends);
    const ids = results.map((r) => (r.ok ? r.value.id : r.code));
    expect(new Set(ids).size).toBe(1);
    expect(results.filter((r) => r.ok && r.value.duplicate)).toHaveLength(2);
    expect(await storedRows()).toHaveLength(1);
    expect(seen()).toHaveLength(1);
  });

  it('recognises a resend after a restart through the database', async () => {
    const before = chat();
    const first = await before.postAsViewer(SESSION, { deviceId: device(1), text: '重启前', clientEventId: 'evt-restart' });
    await before.close();
    const after = chat();
    const again = await after.postAsViewer(SESSION, { deviceId: device(1), text: '重启前', clientEventId: 'evt-restart' });
    expect(first.ok && again.ok && again.value.id === first.value.id && again.value.duplicate).toBe(true);
    expect(await storedRows()).toHaveLength(1);
    expect(seen()).toHaveLength(1);
  });

  it('stores one row when two nodes take the same resend at once (the unique key decides)', async () => {
    const nodeA = chat();
    const nodeB = chat({}, new KyselyChatStore(storage.db));
    await Promise.all([nodeA.history(SESSION), nodeB.history(SESSION)]);
    const release = holdBatches(); // node A's batch waits, so node B commits first
    const a = nodeA.postAsViewer(SESSION, { deviceId: device(1), text: '两个节点', clientEventId: 'evt-two-nodes' });
    const b = await nodeB.postAsViewer(SESSION, { deviceId: device(1), text: '两个节点', clientEventId: 'evt-two-nodes' });
    release();
    const fromA = await a;
    expect(b.ok && fromA.ok).toBe(true);
    if (!b.ok || !fromA.ok) return;
    expect(b.value.duplicate).toBeUndefined();
    expect(fromA.value).toMatchObject({ id: b.value.id, duplicate: true });
    expect(await storedRows()).toHaveLength(1);
    // Published once (by B): A published nothing for its skipped row.
    expect(seen().map((m) => m.id)).toEqual([b.value.id]);
  });

  it('does not take a refused send for a stored one', async () => {
    const service = chat();
    expect(await service.postAsViewer(SESSION, { deviceId: device(1), text: '   ', clientEventId: 'evt-x' })).toMatchObject({ ok: false, code: 'CHAT_EMPTY' });
    const fixed = await service.postAsViewer(SESSION, { deviceId: device(1), text: '好了', clientEventId: 'evt-x' });
    expect(fixed).toMatchObject({ ok: true, value: { text: '好了' } });
    expect(fixed.ok && fixed.value.duplicate).toBeFalsy();
  });

  it('forgets an erased viewer\'s recent sends', async () => {
    const service = chat();
    const first = await service.postAsViewer(SESSION, { deviceId: device(1), text: '删我', clientEventId: 'evt-erase' });
    expect(first.ok).toBe(true);
    await store.eraseSubject(`subject-of-${device(1)}`);
    await service.afterErase(`subject-of-${device(1)}`, new Map([[SESSION, [first.ok ? first.value.id : '']]]));
    await tick(0);
    const again = await service.postAsViewer(SESSION, { deviceId: device(1), text: '删我', clientEventId: 'evt-erase' });
    expect(again.ok && again.value.duplicate).toBeFalsy();
  });
});

describe('the bounded queue', () => {
  it('refuses sends past its bound with OVERLOADED and retryAfterSeconds, and recovers', async () => {
    expect(MAX_PENDING_MESSAGES).toBe(5_000);
    const service = chat({ maxPendingMessages: 3 });
    await service.history(SESSION);
    const release = holdBatches();
    const held = [1, 2, 3].map((i) => service.postAsViewer(SESSION, { deviceId: device(i), text: `m${i}`, clientEventId: `evt-${i}` }));
    await tick(40);
    const refused = await service.postAsViewer(SESSION, { deviceId: device(4), text: 'm4', clientEventId: 'evt-4' });
    expect(refused).toMatchObject({ ok: false, code: 'OVERLOADED', extensions: { retryAfterSeconds: 1 } });
    expect(await service.postAsStaff(host, SESSION, { text: 'staff' })).toMatchObject({ ok: false, code: 'OVERLOADED' });
    release();
    expect((await Promise.all(held)).every((r) => r.ok)).toBe(true);
    // Room again: the refused send goes through when resent (it was never stored, nor its pace taken).
    const resent = await service.postAsViewer(SESSION, { deviceId: device(4), text: 'm4', clientEventId: 'evt-4' });
    expect(resent.ok && !resent.value.duplicate).toBe(true);
    expect(await storedRows()).toHaveLength(4);
    expect(seen().map((m: ChatMessage) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });
});

describe('the session a viewer’s message needs', () => {
  it('is read once for a busy room, and again as soon as its status changes or the bus was down', async () => {
    let reads = 0;
    let status: 'live' | 'ended' = 'live';
    const watchers = new Set<() => void>();
    const sessions: ChatDeps['sessions'] = {
      get: async (id) => {
        reads++;
        return id === SESSION ? { id, brandId: 'brand-1', status, hostUserId: 'u-host' } : undefined;
      },
      canManage: () => true,
      watch: (_id, onChange) => {
        watchers.add(onChange);
        return () => watchers.delete(onChange);
      },
    };
    const service = chat({ sessions });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => service.postAsViewer(SESSION, { deviceId: device(i), text: `m${i}`, clientEventId: `evt-${i}` })));
    expect(results.every((r) => r.ok)).toBe(true);
    for (let i = 20; i < 30; i++) expect((await service.postAsViewer(SESSION, { deviceId: device(i), text: `m${i}`, clientEventId: `evt-${i}` })).ok).toBe(true);
    // Concurrent first sends may each read; later ones read none.
    const afterBusy = reads;
    expect(afterBusy).toBeLessThanOrEqual(20);
    expect(watchers.size).toBe(1);
    expect((await service.postAsViewer(SESSION, { deviceId: device(31), text: 'again', clientEventId: 'evt-31' })).ok).toBe(true);
    expect(reads).toBe(afterBusy);

    // The show ends (told on the bus, from whichever node ended it): the next message finds it ended.
    status = 'ended';
    for (const w of [...watchers]) w();
    expect(watchers.size).toBe(0);
    expect(await service.postAsViewer(SESSION, { deviceId: device(32), text: 'late', clientEventId: 'evt-32' })).toMatchObject({ ok: false, code: 'SESSION_ENDED' });
    expect(reads).toBe(afterBusy + 1);

    // After a bus outage nothing kept is trusted.
    status = 'live';
    service.resync();
    expect(watchers.size).toBe(0);
    expect((await service.postAsViewer(SESSION, { deviceId: device(33), text: 'back', clientEventId: 'evt-33' })).ok).toBe(true);
    expect(reads).toBe(afterBusy + 2);

    // Unknown sessions are never kept (nor watched).
    expect(await service.postAsViewer('no-such-room', { deviceId: device(34), text: 'x', clientEventId: 'evt-34' })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(await service.postAsViewer('no-such-room', { deviceId: device(34), text: 'x', clientEventId: 'evt-35' })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(reads).toBe(afterBusy + 4);
    expect(watchers.size).toBe(1);
  });

  it('without a watch, is read again after a second', async () => {
    let reads = 0;
    const service = chat({ sessions: { get: async (id) => (reads++, { id, brandId: 'brand-1', status: 'live', hostUserId: 'u-host' }), canManage: () => true } });
    expect((await service.postAsViewer(SESSION, { deviceId: device(1), text: 'a', clientEventId: 'evt-a' })).ok).toBe(true);
    expect((await service.postAsViewer(SESSION, { deviceId: device(2), text: 'b', clientEventId: 'evt-b' })).ok).toBe(true);
    expect(reads).toBe(1);
    await tick(1_050);
    expect((await service.postAsViewer(SESSION, { deviceId: device(3), text: 'c', clientEventId: 'evt-c' })).ok).toBe(true);
    expect(reads).toBe(2);
  });
});
