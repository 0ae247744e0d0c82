/** Exit codes a CI pipeline can gate on. */
export const EXIT = {
  /** Ran; every SLO passed. */
  ok: 0,
  /** Bad input or a known runtime error (one line on stderr). */
  error: 1,
  /** Bad command line. */
  usage: 2,
  /** Ran; at least one SLO failed. */
  sloFailed: 3,
  /** A bug in floodgate (stack trace on stderr). */
  bug: 70,
} as const;
