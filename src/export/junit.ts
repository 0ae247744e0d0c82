/**
 * SLO and recovery verdicts as JUnit XML, the test report CI systems read (Jenkins, GitLab,
 * GitHub Actions reporters, Buildkite): one test case per SLO (its class as the case's
 * `classname`, `overall` for SLOs over every class) and one per recovery trigger, a `<failure>`
 * with the observed figure and the bound when a verdict failed. Valid against the common JUnit
 * schema (Jenkins xunit's junit-10.xsd; test/export/junit.test.ts checks it). Simulated runs take
 * no wall-clock time worth reporting, so every `time` is 0.
 *
 * Example:
 *   <testsuite name="quickstart (seed 42): SLOs" tests="4" failures="1" errors="0" skipped="0" time="0">
 *     <testcase classname="floodgate.quickstart.tab" name="tab ttft.p99 &lt;= 1.5s" time="0">
 *       <failure type="slo" message="observed 1.92 s, needs at most 1.50 s"/>
 *     </testcase>
 */
import type { TriggerVerdict } from '../metrics/recovery.ts';
import type { RunResult } from '../metrics/result-types.ts';
import type { SloVerdict } from '../metrics/slo.ts';
import { fmtSloValue } from '../report/story.ts';

/**
 * Escapes text for XML content and double-quoted attributes; characters XML 1.0 cannot hold
 * (control characters other than tab, line feed and carriage return) become U+FFFD.
 */
export function xmlEscape(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 refuses
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .replace(/[&<>"']/g, (c) =>
        c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
      )
  );
}

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; detail: string };
}

/** `classname` of a run's test cases: `floodgate.<scenario>.<scope>`, dots in names kept. */
function classname(r: RunResult, scope: string): string {
  return `floodgate.${r.scenario.name}.${scope}`;
}

function sloCase(r: RunResult, s: SloVerdict): Case {
  const c: Case = { classname: classname(r, s.class ?? 'overall'), name: s.name };
  if (!s.pass) {
    const bound = `${s.bound === 'max' ? 'at most' : 'at least'} ${fmtSloValue(s.metric, s.threshold)}`;
    c.failure = {
      type: 'slo',
      message:
        s.observed === null
          ? `no data: nothing to measure ${s.metric} on (needs ${bound})`
          : `observed ${fmtSloValue(s.metric, s.observed)}, needs ${bound}`,
      detail: `${s.name}: metric ${s.metric}${s.class ? ` of class ${s.class}` : ''}, observed ${fmtSloValue(s.metric, s.observed)}, threshold ${s.bound === 'max' ? '<=' : '>='} ${fmtSloValue(s.metric, s.threshold)}`,
    };
  }
  return c;
}

function recoveryCase(r: RunResult, t: TriggerVerdict): Case {
  const c: Case = { classname: classname(r, 'recovery'), name: t.name };
  if (!t.pass)
    c.failure = { type: `recovery.${t.verdict}`, message: `${t.verdict}: ${t.reason}`, detail: t.reason };
  return c;
}

function suite(name: string, cases: readonly Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases
    .map((c) => {
      const head = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="0"`;
      if (!c.failure) return `${head}/>`;
      const f = c.failure;
      return `${head}>\n      <failure type="${xmlEscape(f.type)}" message="${xmlEscape(f.message)}">${xmlEscape(f.detail)}</failure>\n    </testcase>`;
    })
    .join('\n');
  return `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="0">\n${body}${body ? '\n' : ''}  </testsuite>`;
}

/** The run's SLO and recovery verdicts as a JUnit XML document (see the file comment). */
export function runJunit(r: RunResult): string {
  const run = `${r.scenario.name} (seed ${r.seed})`;
  const suites: [string, Case[]][] = [[`${run}: SLOs`, r.slos.map((s) => sloCase(r, s))]];
  if (r.recovery) suites.push([`${run}: recovery`, r.recovery.triggers.map((t) => recoveryCase(r, t))]);
  const tests = suites.reduce((a, [, cs]) => a + cs.length, 0);
  const failures = suites.reduce((a, [, cs]) => a + cs.filter((c) => c.failure).length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${xmlEscape(`floodgate ${run}`)}" tests="${tests}" failures="${failures}" errors="0" time="0">
${suites.map(([name, cases]) => suite(name, cases)).join('\n')}
</testsuites>
`;
}
