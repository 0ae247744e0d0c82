/** OpenAI Chat Completions (`POST /v1/chat/completions`): the emulator's first dialect, in openai.ts. */
import {
  ChunkWriter,
  completionParts,
  errorBody,
  isWireError,
  parseChatRequest,
  usageOf,
} from '../openai.ts';
import type { StreamWriter, WireDialect } from './wire.ts';

export const OPENAI_CHAT: WireDialect = {
  api: 'openai-chat',
  idPrefix: 'chatcmpl-',
  parse(body, maxOutputTokens) {
    const r = parseChatRequest(body, maxOutputTokens);
    return isWireError(r) ? r : { ...r, maxIsCap: false };
  },
  body(id, t) {
    const usage = usageOf(t.promptTokens, t.outputTokens, t.cachedTokens);
    return completionParts(id.id, id.created, id.model, t.finish, usage);
  },
  stream(id, req): StreamWriter {
    const w = new ChunkWriter(id.id, id.created, id.model, req.includeUsage);
    return {
      start: () => '',
      tokens: (from, to) => w.tokens(from, to),
      finish: (t) => [w.finish(t.finish, usageOf(t.promptTokens, t.outputTokens, t.cachedTokens))],
      error: (e) => w.error(e),
    };
  },
  errorBody,
};
