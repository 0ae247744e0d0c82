/**
 * Is the machine quiet enough for the bench's figures to mean anything? Every figure is a whole
 * process timed by the wall clock, so another process on the same cores moves it: on this 2-core
 * machine a bench run beside two helpers' builds read M/M/8 at 5.0x the floor where a quiet run
 * read 3.4x. The bench samples the 1-minute load average before each section; a sample well above
 * what the bench itself puts on the machine marks the run as busy, and the summary says so.
 */

/** One sample of the 1-minute load average, and what the bench was about to do. */
export interface LoadSample {
  label: string;
  load1: number;
}

export interface LoadVerdict {
  busy: boolean;
  /** The highest sample. */
  peak: LoadSample | undefined;
  /** The load above which a sample counts as busy. */
  threshold: number;
}

/**
 * The bench runs one process at a time: about 1 of load on its own. Anything that adds more than
 * half of the remaining cores (at least half a core) counts as busy: on 2 cores, a load above 1.5.
 */
export function busyThreshold(cores: number): number {
  return 1 + Math.max(0.5, (cores - 1) / 2);
}

export function loadVerdict(samples: readonly LoadSample[], cores: number): LoadVerdict {
  const threshold = busyThreshold(cores);
  let peak: LoadSample | undefined;
  for (const s of samples) if (peak === undefined || s.load1 > peak.load1) peak = s;
  return { busy: peak !== undefined && peak.load1 > threshold, peak, threshold };
}
