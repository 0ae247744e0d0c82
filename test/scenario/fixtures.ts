/** Small scenario builders shared by scenario and CLI tests. */
export const MMC_YAML = `name: mmc
duration: 10h
seed: 7
providers:
  - name: server
    kind: queue
    servers: 8
    service: { dist: exponential, mean: 1s }
workload:
  classes:
    - name: job
  arrivals: { process: poisson, rate: 7.2/s }
gateway:
  routing: { policy: round-robin }
`;

/** The contract scenario with some lines replaced: `withLines({ 8: '    servers: -3' })`. */
export function mmcWith(replace: Record<number, string>, extra = ''): string {
  const lines = MMC_YAML.trimEnd().split('\n');
  for (const [n, text] of Object.entries(replace)) lines[Number(n) - 1] = text;
  return `${lines.join('\n')}\n${extra}`;
}
