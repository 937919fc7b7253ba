/**
 * Erasure through the whole app, proved on the bytes: after a viewer who used every feature erases
 * their data, no plaintext of theirs is in the SQLite files (database, WAL, shared memory) or in any
 * PostgreSQL row, the rows that held their sealed values are gone, and what is kept (their request
 * ticket) can no longer be opened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

/** A viewer who uses everything: consent, an age band, events, feedback, tags, a request. Returns what they left. */
async function busyViewer(app: FastifyInstance) {
  const device = `scan-${randomBytes(9).toString('base64url')}`;
  const secret = `please correct my address to ${randomBytes(6).toString('hex')} road`;
  const h = { 'x-qingliu-device': device };
  const admin = await signIn(app, 'admin');
  await app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
  const n = (await app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
  await app.inject({
    method: 'POST',
    url: '/api/v1/consent',
    payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] },
  });
  expect((await app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: h, payload: { brandId: 'demo-brand', ageBand: 'adult' } })).statusCode).toBe(200);
  const room = (await app.inject('/api/v1/sessions/demo')).json();
  for (const [i, type] of ['view', 'click', 'add_to_cart', 'like'].entries()) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: device, type, productId: room.products[i].id, clientEventId: `scan-evt-${i}-0001` } });
    expect(res.json()).toMatchObject({ stored: true });
  }
  expect((await app.inject({ method: 'POST', url: '/api/v1/privacy/tickets', headers: h, payload: { kind: 'correction', details: secret, locale: 'zh-CN' } })).statusCode).toBe(201);
  const subject = app.services.protection.subjectFor(device, app.services.region);
  const sealed = (await app.services.storage.db.selectFrom('viewer_events').select('payload_sealed').where('subject', '=', subject).execute()).map((r) => r.payload_sealed);
  expect(sealed.length).toBe(4);
  // A question to the assistant: the show's memory of it, sealed in the database.
  const asked = await app.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', headers: h, payload: { question: `${room.products[0].name.zh}多少钱`, locale: 'zh-CN' } });
  expect(asked.statusCode, asked.body).toBe(200);
  const memory = await app.services.storage.db.selectFrom('assistant_session_memory').select('turns_sealed').where('subject', '=', subject).execute();
  expect(memory).toHaveLength(1);
  sealed.push(memory[0]!.turns_sealed);
  return { device, secret, subject, sealed, h };
}

async function erase(app: FastifyInstance, h: Record<string, string>) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: h, payload: { confirm: true } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toMatchObject({ eventsDeleted: 4, dataKeyDestroyed: true });
}

async function ticketUnreadable(app: FastifyInstance) {
  const { cookie } = await signIn(app, 'compliance');
  const list = (await app.inject({ method: 'GET', url: '/api/v1/compliance/tickets', headers: { cookie } })).json();
  const id = (list.items ?? list.tickets)[0].id;
  const ticket = (await app.inject({ method: 'GET', url: `/api/v1/compliance/tickets/${id}`, headers: { cookie } })).json();
  expect(ticket).toMatchObject({ details: null, detailsErased: true });
}

describe('erasure leaves nothing readable: SQLite files', () => {
  let dir: string | undefined;
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('no plaintext of the viewer in the database, WAL or shared-memory files', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-erasure-'));
    const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dir }, { databaseUrl: `sqlite:${path.join(dir, 'qingliu.sqlite')}`, seedDemo: true });
    app = await buildApp(config, { logger: false });
    const v = await busyViewer(app);
    const files = () => fs.readdirSync(dir!).filter((f) => f.startsWith('qingliu.sqlite')).map((f) => fs.readFileSync(path.join(dir!, f)));
    const found = (needle: string) => files().some((bytes) => bytes.includes(Buffer.from(needle)));
    const checkpoint = () => sql`pragma wal_checkpoint(TRUNCATE)`.execute(app!.services.storage.db);

    await checkpoint();
    // Before: sealed at rest (no plaintext), but the sealed values are there.
    expect(found(v.device)).toBe(false);
    expect(found(v.secret)).toBe(false);
    expect(v.sealed.every((s) => found(s))).toBe(true);

    await erase(app, v.h);
    await checkpoint();
    expect(found(v.device)).toBe(false);
    expect(found(v.secret)).toBe(false);
    // secure_delete zeroes deleted rows: the sealed events are gone from the files, not just unlinked.
    for (const s of v.sealed) expect(found(s)).toBe(false);
    await ticketUnreadable(app);
  });
});

describe.each(DIALECTS)('erasure leaves nothing readable: every row on %s', (dialect) => {
  let t: TestApp;
  afterEach(async () => t?.close());

  it('no row of any table holds the viewer’s plaintext or sealed events', async () => {
    t = await testApp(dialect);
    const v = await busyViewer(t.app);
    await erase(t.app, v.h);
    const db = t.app.services.storage.db;
    const tables =
      dialect === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db)).rows.map((r) => r.name);
    expect(tables).toContain('viewer_events');
    let scanned = 0;
    for (const table of tables) {
      const rows = (await sql`select * from ${sql.table(table)}`.execute(db)).rows;
      scanned += rows.length;
      const text = JSON.stringify(rows);
      expect(text.includes(v.device), table).toBe(false);
      expect(text.includes(v.secret), table).toBe(false);
      for (const s of v.sealed) expect(text.includes(s), table).toBe(false);
    }
    expect(scanned).toBeGreaterThan(50);
    await ticketUnreadable(t.app);
  });
});
