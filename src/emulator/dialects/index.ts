/**
 * The emulator's wire dialects and the routes that select them: the path says which API a
 * request speaks, the model (in the body, or in Gemini's path) which provider serves it.
 */
import type { ApiDialect } from '../../providers/dialects.ts';
import { ANTHROPIC_MESSAGES } from './anthropic.ts';
import { GEMINI } from './gemini.ts';
import { OPENAI_CHAT } from './openai-chat.ts';
import { OPENAI_RESPONSES } from './openai-responses.ts';
import type { RouteFacts, WireDialect } from './wire.ts';

export type { AnswerId, DialectRequest, RouteFacts, StreamWriter, Tally, WireDialect } from './wire.ts';
export { ANTHROPIC_MESSAGES, GEMINI, OPENAI_CHAT, OPENAI_RESPONSES };

export const WIRE_DIALECTS: Readonly<Record<ApiDialect, WireDialect>> = {
  'openai-chat': OPENAI_CHAT,
  'openai-responses': OPENAI_RESPONSES,
  'anthropic-messages': ANTHROPIC_MESSAGES,
  gemini: GEMINI,
};

/** A generation route: its dialect and what the path says of the request. */
export interface DialectRoute {
  readonly dialect: WireDialect;
  readonly facts: RouteFacts;
}

const BY_PATH: Readonly<Record<string, WireDialect>> = {
  '/v1/chat/completions': OPENAI_CHAT,
  '/chat/completions': OPENAI_CHAT,
  '/v1/responses': OPENAI_RESPONSES,
  '/responses': OPENAI_RESPONSES,
  '/v1/messages': ANTHROPIC_MESSAGES,
  '/messages': ANTHROPIC_MESSAGES,
};

/** Gemini's methods: `/v1beta/models/{model}:generateContent` (also under `/v1`). */
const GEMINI_PATH = /^\/(?:v1beta|v1)\/models\/(.+):(generateContent|streamGenerateContent)$/;

/**
 * The generation route of a path (after any `/p/{provider}` prefix; no query), or undefined.
 * `query` is the request's query string (Gemini streams with `alt=sse`). The model in a Gemini
 * path is percent-decoded; a `models/` the SDK may repeat is dropped. Undefined `model` with a
 * matching Gemini path means the name did not decode.
 */
export function dialectRoute(path: string, query: string): DialectRoute | undefined {
  const plain = BY_PATH[path];
  if (plain) return { dialect: plain, facts: {} };
  const m = GEMINI_PATH.exec(path);
  if (!m) return undefined;
  let model: string | undefined;
  try {
    model = decodeURIComponent(m[1]!).replace(/^models\//, '');
  } catch {
    model = undefined;
  }
  const stream = m[2] === 'streamGenerateContent';
  return { dialect: GEMINI, facts: { model, stream, sse: !stream || /(?:^|&)alt=sse(?:&|$)/.test(query) } };
}
