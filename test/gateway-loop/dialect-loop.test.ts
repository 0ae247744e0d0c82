/**
 * Issue 18's dialect failover through a real gateway: an Anthropic primary and an OpenAI fallback
 * behind Portkey (dialect.portkey.json: fallback on 529; the primary retried 3 times on 429), the
 * providers served by `floodgate emulate` in their dialects (dialect.template.yaml: a rate-limit
 * storm, then an overload), against the simulator's prediction of the same imported config
 * replaying the driver's arrivals. The primary's 529s must fail over and its 429s stay on it:
 * both sides agree per request on which failed over (only requests within EDGE_MS of the
 * overload's edges may differ), and on the shares of each route. Loopback only; one 30 s run after
 * a 6 s warm-up. Portkey's published package cannot honour `use_retry_after_header` (see
 * docs/guide/load-testing.md), so its 429 retries wait its own backoff (1 s, 2 s, 4 s, no
 * jitter), which the import models; in the storm retry-after is 1-3 s.
 */
import { describe, expect, it } from 'vitest';
import {
  DIALECT,
  EDGE_MS,
  FALLBACK,
  failoverDifferences,
  measuredRoute,
  OVERLOAD,
  PRIMARY,
  predictedRoutes,
  routeRows,
} from './dialect-verdict.ts';
import {
  compare,
  markdown,
  measure,
  planFor,
  predict,
  type Row,
  shareTolerance,
  unsound,
  within,
} from './loop.ts';

describe('Portkey in the loop: dialect failover', () => {
  it("an Anthropic primary's 529s fail over to the OpenAI fallback, its 429s are retried on it: per request as predicted", async () => {
    const plan = planFor(DIALECT);
    const measured = await measure(DIALECT);
    const { results, samples } = await predict(
      DIALECT,
      Math.min(measured.gatewayMs, measured.gatewayAfterMs),
      plan,
    );
    const n = measured.measured.length;
    const routes = measured.measured.map((m) => measuredRoute(m, PRIMARY, FALLBACK));
    const predicted = predictedRoutes(plan, samples, FALLBACK);
    const differences = failoverDifferences(plan, predicted, routes);
    const atEdge = (t: number) =>
      Math.abs(t - OVERLOAD.fromMs) <= EDGE_MS || Math.abs(t - OVERLOAD.toMs) <= EDGE_MS;
    const perAttempt = (status: string): Row => {
      const meas = (measured.providerRequests[PRIMARY]?.[status] ?? 0) / n;
      const pred =
        results.reduce((s, r) => s + (r.providers[PRIMARY]!.statuses[status] ?? 0) / r.requests.offered, 0) /
        results.length;
      return {
        metric: `${PRIMARY} ${status} answers per request`,
        predicted: pred,
        measured: meas,
        tolerance: shareTolerance(Math.min(1, meas), n),
        relative: false,
        n,
      };
    };
    const rows = [
      ...routeRows(samples, routes, FALLBACK),
      perAttempt('rate_limited'),
      perAttempt('overloaded'),
      // The latencies and retries (its error share is the route rows' own).
      ...compare(DIALECT, results, measured).filter((r) => r.metric !== 'error share'),
    ];
    const failedOver = (rs: readonly string[]) => rs.filter((r) => r === 'failed-over').length;
    // Every route, per request: which of the storm's requests got a 429 depends on who took the bucket's last tokens.
    const routeDiffers = plan.filter((_, i) => predicted[i] !== routes[i]).length;
    process.stdout.write(
      `dialect: gateway time ${measured.gatewayMs.toFixed(0)} ms before, ${measured.gatewayAfterMs.toFixed(0)} ms after, emulator late events ${(100 * measured.emulatorLateShare).toFixed(2)}% (worst ${measured.emulatorLagMs.toFixed(0)} ms)\n` +
        `per request: ${failedOver(predicted)} predicted to fail over, ${failedOver(routes)} did; ${differences.length} differ (${differences.filter((d) => !atEdge(d.atMs)).length} more than ${EDGE_MS} ms from the overload's edges); ${routeDiffers} on any route\n` +
        differences
          .map(
            (d) =>
              `  #${d.index} at ${d.atMs.toFixed(0)} ms: predicted ${d.predicted}, measured ${d.measured}\n`,
          )
          .join('') +
        `emulator: ${JSON.stringify(measured.providerRequests)}\n${markdown(DIALECT, rows)}`,
    );
    expect(measured.portkeyLog).not.toMatch(/TypeError|Something went wrong/);
    // Every answer carried Portkey's headers (which target answered).
    expect(routes.filter((r) => r === 'unknown')).toEqual([]);
    const why = unsound(measured);
    if (why) {
      process.stdout.write(`dialect: not judged: ${why}\n`);
      return;
    }
    // Which requests failed over: the same, but for requests at the overload's edges.
    expect(differences.filter((d) => !atEdge(d.atMs))).toEqual([]);
    // The shares are counts, judged on every sound run; latencies only in the strict check.
    const strict = process.env['FLOODGATE_LOOP_STRICT'] === '1';
    for (const row of rows)
      if (strict || !row.relative) expect({ ...row, within: within(row) }).toMatchObject({ within: true });
  }, 150_000);
});
