/**
 * WallClockScheduler: the emulator's Scheduler. Driven here by a fake real-time source, so the
 * assertions are exact and no test waits on timers except the one that checks the timer itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LagReport, WallClockScheduler } from '../../src/emulator/wall-clock.ts';

let clocks: WallClockScheduler[] = [];
afterEach(() => {
  for (const c of clocks) c.stop();
  clocks = [];
});

function fake(options: { timeScale?: number; lagThresholdMs?: number; reportEveryMs?: number } = {}) {
  const real = { ms: 1000 };
  const reports: LagReport[] = [];
  const clock = new WallClockScheduler({
    ...options,
    realNow: () => real.ms,
    onLag: (r) => reports.push(r),
  });
  clocks.push(clock);
  return { clock, real, reports };
}

describe('WallClockScheduler', () => {
  it('runs events due by the real clock in (time, insertion) order, each with its own time as now()', () => {
    const { clock, real } = fake();
    const seen: string[] = [];
    const log = (label: string) => seen.push(`${label}@${clock.now()}`);
    clock.start();
    clock.at(30, log, 'c');
    clock.at(10, log, 'a');
    clock.at(30, log, 'd');
    clock.at(10, log, 'b');
    clock.at(50, log, 'late');
    real.ms += 40;
    expect(clock.runDue()).toBe(4);
    expect(seen).toEqual(['a@10', 'b@10', 'c@30', 'd@30']);
    expect(clock.now()).toBe(40);
    expect(clock.pending).toBe(1);
  });

  it('runs atEndOfInstant after the events due at the same instant, even ones scheduled after it', () => {
    const { clock, real } = fake();
    const seen: string[] = [];
    const log = (label: string) => seen.push(`${label}@${clock.now()}`);
    clock.start();
    real.ms += 20;
    clock.runDue();
    clock.atEndOfInstant(log, 'end');
    clock.at(clock.now(), log, 'same');
    real.ms += 1;
    clock.runDue();
    expect(seen).toEqual(['same@20', 'end@20']);
  });

  it('keeps now() fixed between runDue() calls, so scheduling at now() from outside never throws', () => {
    const { clock, real } = fake();
    clock.start();
    real.ms += 25;
    clock.runDue();
    real.ms += 5; // time passes, but no runDue yet
    expect(clock.now()).toBe(25);
    expect(() => clock.at(clock.now(), () => {}, undefined)).not.toThrow();
    expect(() => clock.at(24, () => {}, undefined)).toThrow(/before the current time 25 ms/);
    expect(() => clock.after(-1, () => {}, undefined)).toThrow(/negative/);
  });

  it('runs events an event schedules when they are already due, in the same call', () => {
    const { clock, real } = fake();
    const seen: number[] = [];
    clock.start();
    clock.at(
      5,
      () => {
        seen.push(clock.now());
        clock.after(10, () => seen.push(clock.now()), undefined);
        clock.after(100, () => seen.push(clock.now()), undefined);
      },
      undefined,
    );
    real.ms += 50;
    clock.runDue();
    expect(seen).toEqual([5, 15]);
  });

  it('scales time: simulated ms = real ms x timeScale', () => {
    const { clock, real } = fake({ timeScale: 10 });
    const seen: number[] = [];
    clock.start();
    clock.at(400, () => seen.push(clock.now()), undefined);
    real.ms += 39;
    clock.runDue();
    expect(seen).toEqual([]);
    expect(clock.now()).toBe(390);
    real.ms += 1;
    clock.runDue();
    expect(seen).toEqual([400]);
  });

  it('reports falling behind real time, at most once per reportEveryMs, with the worst lag', () => {
    const { clock, real, reports } = fake({ lagThresholdMs: 50, reportEveryMs: 1000 });
    clock.start();
    clock.at(0, () => {}, undefined);
    clock.at(10, () => {}, undefined);
    real.ms += 200; // both ran ~200 ms late
    clock.runDue();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.lateEvents).toBe(2);
    expect(reports[0]!.lagMs).toBe(200);
    expect(reports[0]!.message).toMatch(/falling behind real time: 2 events ran more than 50 ms late/);
    clock.at(clock.now(), () => {}, undefined);
    real.ms += 100;
    clock.runDue(); // late again, but within the report interval: counted, not reported
    expect(reports).toHaveLength(1);
    expect(clock.lateEvents).toBe(3);
    real.ms += 1000;
    clock.at(clock.now() + 1, () => {}, undefined);
    clock.runDue();
    expect(reports).toHaveLength(2);
    expect(reports[1]!.lateEvents).toBe(2);
    expect(reports[1]!.lagMs).toBe(999);
    expect(clock.maxLagMs).toBe(999);
  });

  it('does not run events before start() or after stop()', () => {
    const { clock, real } = fake();
    let ran = 0;
    clock.at(0, () => ran++, undefined);
    real.ms += 10;
    expect(clock.runDue()).toBe(0);
    clock.start();
    clock.stop();
    expect(clock.runDue()).toBe(0);
    expect(ran).toBe(0);
  });

  it('fires its own timer for the earliest event on the real clock', async () => {
    const clock = new WallClockScheduler({ timeScale: 10 });
    clocks.push(clock);
    clock.start();
    const fired = await new Promise<number>((resolve) =>
      clock.after(200, () => resolve(clock.now()), undefined),
    );
    expect(fired).toBe(200); // 20 real ms later, with the event's own time
  });

  it('keeps its timer for the events after one that threw (reported to onError)', async () => {
    const errors: unknown[] = [];
    const clock = new WallClockScheduler({ timeScale: 10, onError: (e) => errors.push(e) });
    clocks.push(clock);
    clock.start();
    clock.after(
      100,
      () => {
        throw new Error('model bug');
      },
      undefined,
    );
    const fired = await new Promise<number>((resolve) =>
      clock.after(200, () => resolve(clock.now()), undefined),
    );
    expect(fired).toBe(200);
    expect(errors.map((e) => (e as Error).message)).toEqual(['model bug']);
  });

  it('does not run a cancelled event; cancelling it again, or after it ran, does nothing', () => {
    const { clock, real } = fake();
    const seen: string[] = [];
    const log = (label: string) => seen.push(label);
    clock.start();
    const a = clock.at(10, log, 'a');
    const b = clock.at(20, log, 'b');
    expect(clock.cancel(a)).toBe(true);
    expect(clock.cancel(a)).toBe(false);
    expect(clock.pending).toBe(1);
    real.ms += 30;
    expect(clock.runDue()).toBe(1);
    expect(seen).toEqual(['b']);
    expect(clock.cancel(b)).toBe(false);
  });

  it('moves its timer on to the next event when the one it was armed for is cancelled', async () => {
    const clock = new WallClockScheduler({ timeScale: 10 });
    clocks.push(clock);
    clock.start();
    const early = clock.after(100, () => {}, undefined);
    const fired = new Promise<number>((resolve) => clock.after(300, () => resolve(clock.now()), undefined));
    expect(clock.cancel(early)).toBe(true);
    expect(await fired).toBe(300);
    expect(clock.events).toBe(1);
  });

  it('refuses a time scale that is not a positive number', () => {
    expect(() => new WallClockScheduler({ timeScale: 0 })).toThrow(/positive/);
    expect(() => new WallClockScheduler({ timeScale: Number.NaN })).toThrow(/positive/);
  });
});
