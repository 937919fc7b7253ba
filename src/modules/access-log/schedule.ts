/**
 * The access log's periodic job: sign a checkpoint over any new entries, then verify the whole log
 * and record the run. Every node may run it: a run is skipped when any node recorded one less than
 * `minGapMs` ago, so the console shows one run per period whichever node did it.
 */
import { systemContext } from '../../context/index.js';
import type { AccessLogService } from './service.js';
import type { StoredCheckpoint, VerificationRun } from './ports.js';

export interface AccessLogJobOptions {
  /** How often the job wakes (default daily). */
  readonly intervalMs?: number;
  /** Skip verifying when the last recorded run started less than this long ago (default 90 % of the interval). */
  readonly minGapMs?: number;
  /** Sign a checkpoint over new entries before verifying (default true). */
  readonly checkpoint?: boolean;
  /** Delay of the first run after start (default 1 minute, so start-up is not slowed). */
  readonly firstRunDelayMs?: number;
}

export interface AccessLogJobOutcome {
  /** The checkpoint signed, when there were new entries. */
  readonly checkpoint: StoredCheckpoint | undefined;
  /** The verification run, or undefined when another run was recent enough. */
  readonly run: VerificationRun | undefined;
}

const DAY = 86_400_000;

export class AccessLogJob {
  #first: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly intervalMs: number;
  readonly minGapMs: number;
  readonly firstRunDelayMs: number;
  readonly signCheckpoint: boolean;

  constructor(
    private readonly accessLog: AccessLogService,
    options: AccessLogJobOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DAY;
    this.minGapMs = options.minGapMs ?? Math.floor(this.intervalMs * 0.9);
    this.firstRunDelayMs = options.firstRunDelayMs ?? 60_000;
    this.signCheckpoint = options.checkpoint ?? true;
    if (!(this.intervalMs > 0) || !(this.minGapMs >= 0) || !(this.firstRunDelayMs >= 0)) throw new RangeError('access-log job: intervals must be positive');
  }

  /**
   * One round: checkpoint (if asked and there are new entries), then verify if due. Verification
   * runs even when signing failed (a missing key is then recorded as an `error` run, which the
   * console shows); the first failure is thrown after both were tried.
   */
  async run(): Promise<AccessLogJobOutcome> {
    const ctx = systemContext('access-log job');
    let checkpoint: StoredCheckpoint | undefined;
    let signingFailure: unknown;
    try {
      checkpoint = this.signCheckpoint ? await this.accessLog.checkpointIfUnsigned(ctx) : undefined;
    } catch (err) {
      signingFailure = err;
    }
    const run = await this.accessLog.verifyIfDue(ctx, this.minGapMs);
    if (signingFailure !== undefined) throw signingFailure;
    return { checkpoint, run };
  }

  /** Runs after `firstRunDelayMs`, then every `intervalMs`, until stopped. Timers never hold the process open. */
  start(onOutcome: (outcome: AccessLogJobOutcome) => void, onError: (err: unknown) => void): void {
    this.stop();
    const tick = () => void this.run().then(onOutcome, onError);
    this.#first = setTimeout(tick, this.firstRunDelayMs);
    this.#first.unref();
    this.#timer = setInterval(tick, this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#first) clearTimeout(this.#first);
    if (this.#timer) clearInterval(this.#timer);
    this.#first = undefined;
    this.#timer = undefined;
  }
}
