import { describe, expect, it } from 'vitest';
import { behaviourBody, sendBehaviour, type BehaviourBody } from './behaviour.ts';
import { CLIENT_ID_PATTERN } from './ids.ts';

const DEVICE = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('behaviour events', () => {
  it('builds nothing without a device id', () => {
    expect(behaviourBody('click', null, 'p1')).toBeNull();
  });

  it('builds the body with a random client event id, and the product only when given', () => {
    const a = behaviourBody('click', DEVICE, 'p1');
    const b = behaviourBody('like', DEVICE);
    expect(a).toMatchObject({ deviceId: DEVICE, type: 'click', productId: 'p1' });
    expect(b).toEqual({ deviceId: DEVICE, type: 'like', clientEventId: b?.clientEventId });
    expect(a?.clientEventId).toMatch(CLIENT_ID_PATTERN);
    expect(a?.clientEventId).not.toBe(b?.clientEventId);
  });

  it('sends nothing and creates no id when the viewer has not decided', () => {
    const sent: unknown[] = [];
    const post = (_path: string, body: BehaviourBody) => {
      sent.push(body);
      return Promise.resolve();
    };
    expect(sendBehaviour('demo', 'click', 'p1', { deviceId: () => null, post })).toBe(false);
    expect(sent).toEqual([]);
  });

  it('posts to the session and never rejects or throws, whatever the network does', async () => {
    const calls: [string, BehaviourBody][] = [];
    const failing = (path: string, body: BehaviourBody) => {
      calls.push([path, body]);
      return Promise.reject(new Error('offline'));
    };
    expect(sendBehaviour('room 1', 'purchase', 'p1', { deviceId: () => DEVICE, post: failing })).toBe(true);
    expect(calls[0]?.[0]).toBe('/api/v1/sessions/room%201/behaviour');
    expect(calls[0]?.[1]).toMatchObject({ type: 'purchase', productId: 'p1', deviceId: DEVICE });
    const throwing = () => {
      throw new Error('boom');
    };
    expect(sendBehaviour('demo', 'like', undefined, { deviceId: () => DEVICE, post: throwing })).toBe(false);
    await new Promise((r) => setTimeout(r, 0));
  });
});
