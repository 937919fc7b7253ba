/**
 * Graceful shutdown: a node (a child process, SQLite) under HTTP and WebSocket load gets SIGTERM. It
 * stops accepting, tells its sockets to reconnect elsewhere (a `reconnect` frame, close 1001), lets
 * what is in flight finish, commits what it accepted — room events and the chat's last group-commit
 * batch — and exits 0. Afterwards every acknowledged event and chat message is in the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpJson, killAllNodes, signInFirstAdmin, sleep, startNode } from '../support/child-node.js';

afterEach(async () => {
  await killAllNodes();
});

describe('a node told to stop (SIGTERM) under load', () => {
  it('tells its sockets to reconnect, commits everything it acknowledged, and exits 0', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-drain-'));
    try {
      const node = await startNode({ name: 'draining', env: { QINGLIU_DATA_DIR: dataDir, QINGLIU_SEED_DEMO: 'true', QINGLIU_DEMO_AUDIENCE: 'false', LOG_LEVEL: 'warn' } });
      const cookie = await signInFirstAdmin(node);
      expect((await httpJson(node.url, 'POST', '/api/v1/sessions/demo/start', {}, { headers: { cookie } })).status).toBe(200);

      // Chat over a socket: a message every 20 ms, each with its own client event id.
      const socket = new WebSocket(`${node.url.replace('http', 'ws')}/api/v1/sessions/demo/live`);
      const chatAcked = new Set<string>();
      let reconnectFrame = false;
      let closeCode: number | undefined;
      const closed = new Promise<void>((resolve) => socket.once('close', (code) => ((closeCode = code), resolve())));
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; clientEventId?: string };
        if (frame.type === 'chat_ack' && frame.clientEventId) chatAcked.add(frame.clientEventId);
        if (frame.type === 'reconnect') reconnectFrame = true;
      });
      await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
      let chatN = 0;
      const chatter = setInterval(() => {
        if (socket.readyState !== socket.OPEN) return;
        // 30 devices in turn: each stays within the per-viewer chat pace.
        socket.send(JSON.stringify({ type: 'chat_send', clientEventId: `drain-chat-${String(++chatN).padStart(6, '0')}`, deviceId: `drain-device-${String(chatN % 30).padStart(4, '0')}-abcdefghij`, text: `第 ${chatN} 条` }));
      }, 20);

      // Likes over HTTP from four keep-alive clients.
      const eventsAcked = new Set<string>();
      let stopping = false;
      let n = 0;
      const clients = Array.from({ length: 4 }, async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          while (!stopping) {
            const clientEventId = `drain-like-${String(++n).padStart(6, '0')}`;
            try {
              const answer = await httpJson(node.url, 'POST', '/api/v1/sessions/demo/events', { type: 'like', clientEventId }, { agent });
              if (answer.status === 202) eventsAcked.add(clientEventId);
              else if (answer.status !== 503) throw new Error(`unexpected ${answer.status}`);
            } catch (err) {
              if ((err as Error).message.startsWith('unexpected')) throw err;
              return; // the node is gone: no answer, not acknowledged
            }
          }
        } finally {
          agent.destroy();
        }
      });

      await sleep(1500);
      const exitCode = node.stop(20_000);
      await closed;
      stopping = true;
      clearInterval(chatter);
      await Promise.all(clients);
      expect(await exitCode).toBe(0);
      expect(reconnectFrame).toBe(true);
      expect(closeCode).toBe(1001);
      expect(eventsAcked.size).toBeGreaterThan(10);
      expect(chatAcked.size).toBeGreaterThan(10);

      const db = new Database(path.join(dataDir, 'qingliu.sqlite'), { readonly: true });
      try {
        const likes = new Set(db.prepare("select client_event_id as id from room_events where client_event_id like 'drain-like-%'").all().map((r) => (r as { id: string }).id));
        for (const id of eventsAcked) expect(likes.has(id), id).toBe(true);
        const chats = new Set(db.prepare("select client_event_id as id from chat_messages where client_event_id like 'drain-chat-%'").all().map((r) => (r as { id: string }).id));
        for (const id of chatAcked) expect(chats.has(id), id).toBe(true);
        expect(db.prepare('pragma integrity_check').get()).toEqual({ integrity_check: 'ok' });
        console.log(`graceful shutdown: ${eventsAcked.size} likes and ${chatAcked.size} chat messages acknowledged, all stored; exit 0`);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
