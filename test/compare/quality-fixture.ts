/**
 * The quality harness (test/quality/harness.ts) as a scenario file for the study commands: one
 * class with fixed sizes, a weak ($0.001 a request, 200 ms TTFT, capability 0.6) and a strong
 * ($0.02, 800 ms, capability 1) model with ample capacity, difficulty uniform on [0, 1] and a
 * perfect estimator, routed by the threshold router at 0.5. Not a test file itself.
 */

export function qualityScenarioText(rate: number, seconds: number, quality = true): string {
  const api = (name: string, input: number, output: number, ttft: string) =>
    `  - { name: ${name}, kind: api, models: [${name}], capacity: 100000, queueCapacity: 100000, ttft: { dist: deterministic, value: ${ttft} }, outputRate: { dist: deterministic, value: 100/s }, pricing: { inputPerMTok: ${input}, outputPerMTok: ${output} } }`;
  return `name: quality-check
duration: ${seconds}s
providers:
${api('weak', 0.5, 5, '200ms')}
${api('strong', 10, 100, '800ms')}
workload:
  classes:
    - { name: chat, arrivals: { rate: ${rate}/s }, promptTokens: 1000, outputTokens: 100 }
gateway: { routing: { policy: threshold-router, params: { threshold: 0.5, weak: weak, strong: strong } } }
${quality ? 'quality: { models: { weak: 0.6, strong: 1 }, estimator: { correlation: 1 } }\n' : ''}`;
}
