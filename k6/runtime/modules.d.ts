/**
 * Modules without types of their own: seedrandom's Alea generator (CommonJS) and the xk6-sse
 * extension, declared from github.com/phymbert/xk6-sse (sse.go: `sse.open(url, params, setup)`
 * blocks until the stream ends and returns { url, status, headers, error }; events carry id,
 * name, data and comment).
 */
declare module 'seedrandom/lib/alea.js' {
  /** Alea (Baagoe 2010) seeded from a string: uniform numbers on [0, 1). */
  const alea: (seed: string) => () => number;
  export default alea;
}

declare module 'k6/x/sse' {
  export interface SseEvent {
    id: string;
    name: string;
    data: string;
    comment: string;
  }
  export interface SseError {
    error(): string;
  }
  export interface SseClient {
    on(event: 'open', handler: () => void): void;
    on(event: 'event', handler: (event: SseEvent) => void): void;
    on(event: 'error', handler: (error: SseError) => void): void;
    close(): void;
  }
  export interface SseParams {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    tags?: Record<string, string>;
  }
  export interface SseResponse {
    url: string;
    status: number;
    headers: Record<string, string>;
    /** Empty unless the connection failed. */
    error: string;
  }
  const sse: { open(url: string, params: SseParams, setup: (client: SseClient) => void): SseResponse };
  export default sse;
}
