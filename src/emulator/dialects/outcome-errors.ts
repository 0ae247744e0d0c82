/**
 * The error a failed attempt answers in each dialect. The emulator words the message (the same
 * in every dialect); src/providers/dialects.ts gives the status, type and code per outcome, so
 * an overload is Anthropic's 529 `overloaded_error` and Gemini's 503 `UNAVAILABLE`, a rate limit
 * Anthropic's `rate_limit_error` and Gemini's `RESOURCE_EXHAUSTED`. The OpenAI dialects keep the
 * emulator's OpenAI answers (a 503 `server_error` for overloads and failures, as before).
 */
import type { AttemptStatus } from '../../providers/attempt.ts';
import { type ApiDialect, type ApiOutcome, DIALECTS } from '../../providers/dialects.ts';
import type { WireError } from '../openai.ts';

/**
 * The outcome of a failed attempt. `quota`: the rate limit in force is zero (a
 * rate-limit-storm with `limitFactor: 0`): waiting cannot help, as with an exhausted quota.
 */
export function outcomeOf(status: AttemptStatus, quota: boolean): ApiOutcome {
  switch (status) {
    case 'quota_exceeded':
      return 'quota';
    case 'rate_limited':
      return quota ? 'quota' : 'rate-limited';
    case 'overloaded':
      return 'overloaded';
    case 'bad_request':
      return 'bad-request';
    default:
      return 'server-error';
  }
}

const isOpenAi = (api: ApiDialect) => api === 'openai-chat' || api === 'openai-responses';

/** `openAi`, the emulator's OpenAI answer for the outcome, put in `api`'s terms. */
export function dialectError(api: ApiDialect, outcome: ApiOutcome, openAi: WireError): WireError {
  const spec = DIALECTS[api].errors[outcome];
  if (isOpenAi(api)) {
    if (outcome !== 'quota') return openAi;
    return {
      status: spec.httpStatus,
      message: `You exceeded your current quota, please check your plan and billing details. (${openAi.message})`,
      type: spec.type,
      param: null,
      code: spec.code ?? null,
    };
  }
  const { retryAfterS, ...rest } = openAi;
  return {
    ...rest,
    status: spec.httpStatus,
    type: spec.type,
    code: spec.code ?? null,
    // Only an answer that passes by waiting says how long to wait.
    ...(retryAfterS !== undefined && outcome === 'rate-limited' ? { retryAfterS } : {}),
  };
}

/** Whether `api`'s answer for `outcome` carries `retry-after`. */
export function sendsRetryAfter(api: ApiDialect, outcome: ApiOutcome): boolean {
  return DIALECTS[api].errors[outcome].retryAfter;
}

/** Whether `api`'s answers carry `retry-after-ms` too (OpenAI's clients read it). */
export function sendsRetryAfterMs(api: ApiDialect): boolean {
  return isOpenAi(api);
}
