/**
 * The demo's gentle simulated audience (`npm start` in demo mode): a few simulated viewers an hour
 * visit the demo room while it is live, so the host console's counters, recommendation health,
 * experiments and chat show life (its viewers chat and ask the assistant now and then, nicknamed as
 * simulated: "模拟观众 12"). It drives the running app in process with the same paths a browser uses,
 * every request marked simulated (the room's pages say so), and it never acts as staff: it does not
 * start the session, pin, run flash sales or create an account — the host stays in charge, and the
 * first administrator is still made through the one-time setup link.
 *
 * It can never run outside demo mode (LC4): it refuses to start, and a production server would
 * refuse its requests anyway.
 */
import type { FastifyInstance } from 'fastify';
import { InjectTarget } from './driver/inject-target.js';
import { simulate } from './driver/run.js';
import { SimulationRefusedError } from './driver/target.js';
import { builtinScenarioPath, readScenarioFile, type Scenario } from './world/index.js';

export interface DemoAudienceOptions {
  /** The server's mode: anything but demo is refused. */
  mode: 'demo' | 'production';
  sessionId: string;
  /** Simulated viewers per hour-long show (gentle: default 40). */
  viewersPerShow: number;
  /** How often to look whether the session is live, when it is not. */
  pollMs: number;
  /** Simulated minutes per real minute (1: real time; tests go faster). */
  speed: number;
  log: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

export const DEMO_AUDIENCE_DEFAULTS = { viewersPerShow: 40, pollMs: 30_000, speed: 1 } as const;

/** The app's in-process target, without staff: the demo audience is only ever viewers. */
class ViewersOnlyTarget extends InjectTarget {
  override async signInStaff(): Promise<boolean> {
    return false;
  }
}

export interface DemoAudience {
  /** Ends the current show at once (viewers leave) and stops. */
  stop(): Promise<void>;
}

export function startDemoAudience(app: FastifyInstance, options: Partial<DemoAudienceOptions> & Pick<DemoAudienceOptions, 'log' | 'mode'>): DemoAudience {
  if (options.mode !== 'demo') throw new Error('the demo audience runs only in demo mode (LC4: no simulated traffic in real rooms)');
  const o = { sessionId: 'demo', ...DEMO_AUDIENCE_DEFAULTS, ...options };
  const scenario: Scenario = readScenarioFile(builtinScenarioPath('baby-care'));
  const abort = new AbortController();
  const target = new ViewersOnlyTarget(app, undefined);
  let show = 0;

  const live = async (): Promise<boolean> => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/sessions/${encodeURIComponent(o.sessionId)}` });
    return res.statusCode === 200 && (res.json() as { session?: { status?: string } }).session?.status === 'live';
  };
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const loop = async () => {
    while (!abort.signal.aborted) {
      if (!(await live())) {
        await wait(o.pollMs);
        continue;
      }
      show++;
      o.log.info({ show, viewers: o.viewersPerShow }, 'demo audience: a simulated show starts');
      const report = await simulate({
        target,
        scenario,
        viewers: o.viewersPerShow,
        speed: o.speed,
        seed: Date.now() % 2 ** 31,
        sessionId: o.sessionId,
        concurrency: 4,
        signal: abort.signal,
      });
      o.log.info({ show, lists: report.perArm.reduce((n, a) => n + a.lists, 0), orders: report.orders.placed }, 'demo audience: the simulated show ended');
    }
  };
  const running = loop().catch((err: unknown) => {
    if (abort.signal.aborted) return;
    o.log.warn({ error: err instanceof SimulationRefusedError ? 'refused' : err instanceof Error ? err.message : String(err) }, 'demo audience stopped');
  });

  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}
