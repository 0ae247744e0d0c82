/**
 * JUnit XML of a run's verdicts: valid against the common JUnit schema (Jenkins xunit's
 * junit-10.xsd, validated with libxml2's xmllint compiled to WebAssembly, offline), one test case
 * per SLO with its class as classname and one per recovery trigger, failures with the observed
 * figure and the bound; hostile names stay text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { runJunit, xmlEscape } from '../../src/export/index.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const ROOT = join(import.meta.dirname, '../..');
const XSD = readFileSync(join(import.meta.dirname, 'fixtures/junit-10.xsd'), 'utf8');

async function validate(xml: string): Promise<string[]> {
  const r = await validateXML({
    xml: [{ fileName: 'report.xml', contents: xml }],
    schema: [{ fileName: 'junit-10.xsd', contents: XSD }],
  });
  return r.valid ? [] : r.errors.map((e) => e.rawMessage);
}

async function run(file: string): Promise<RunResult> {
  return simulate(await loadScenarioFile(join(ROOT, file)));
}

/** The test cases of a JUnit document: classname, name, and the failure's message if any. */
function cases(xml: string): { classname: string; name: string; failure: string | null }[] {
  const fromXml = (s: string) =>
    s.replace(
      /&(lt|gt|quot|apos|amp);/g,
      (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!,
    );
  return [
    ...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g),
  ].map((m) => ({
    classname: fromXml(m[1]!),
    name: fromXml(m[2]!),
    failure: m[4] ? fromXml(/message="([^"]*)"/.exec(m[4])![1]!) : null,
  }));
}

let quickstart: RunResult;
let storm: RunResult;

beforeAll(async () => {
  [quickstart, storm] = await Promise.all([
    run('scenarios/quickstart.yaml'),
    run('scenarios/retry-storm.yaml'),
  ]);
});

describe('runJunit', () => {
  it('validates against the JUnit schema, for a passing and a failing run', async () => {
    expect(await validate(runJunit(quickstart))).toEqual([]);
    expect(await validate(runJunit(storm))).toEqual([]);
  });

  it('the schema check is not vacuous: a test case without a name is refused', async () => {
    const broken = runJunit(quickstart).replace(/ name="tab ttft[^"]*"/, '');
    expect((await validate(broken)).join('\n')).toMatch(/name/);
  });

  it('has one test case per SLO (classname: its class, or overall) and one per recovery trigger', () => {
    const got = cases(runJunit(quickstart));
    expect(got).toEqual([
      ...quickstart.slos.map((s) => ({
        classname: `floodgate.quickstart.${s.class ?? 'overall'}`,
        name: s.name,
        failure: null,
      })),
      ...quickstart.recovery!.triggers.map((t) => ({
        classname: 'floodgate.quickstart.recovery',
        name: t.name,
        failure: null,
      })),
    ]);
    expect(got.map((c) => c.classname)).toContain('floodgate.quickstart.tab');
  });

  it('fails the verdicts that failed, with what was observed and what was needed', () => {
    const xml = runJunit(storm);
    const got = cases(xml);
    expect(storm.pass).toBe(false);
    expect(got).toEqual([
      {
        classname: 'floodgate.retry-storm.overall',
        name: 'goodputShare >= 70%',
        failure: expect.stringMatching(/^observed \d+\.\d%, needs at least 70\.0%$/),
      },
      {
        classname: 'floodgate.retry-storm.recovery',
        name: 'backend brownout',
        failure: expect.stringMatching(/^metastable: still unhealthy/),
      },
    ]);
    const failures =
      storm.slos.filter((s) => !s.pass).length + storm.recovery!.triggers.filter((t) => !t.pass).length;
    expect(xml).toContain(`tests="${got.length}" failures="${failures}" errors="0"`);
  });

  it('an SLO without data fails as no data', async () => {
    const r = structuredClone(quickstart);
    r.slos[0] = { ...r.slos[0]!, observed: null, pass: false };
    const xml = runJunit(r);
    expect(await validate(xml)).toEqual([]);
    expect(cases(xml)[0]!.failure).toBe('no data: nothing to measure ttft.p99 on (needs at most 1.50 s)');
  });

  it('keeps hostile scenario names as text: escaped, and characters XML cannot hold replaced', async () => {
    const r = structuredClone(quickstart);
    r.scenario.name = 'x"/><testcase name="injected"/><!-- \u0001 & \'';
    const xml = runJunit(r);
    expect(await validate(xml)).toEqual([]);
    expect(xml).not.toContain('<testcase name="injected"');
    expect(cases(xml)[0]!.classname).toBe('floodgate.x"/><testcase name="injected"/><!-- \ufffd & \'.tab');
    expect(xmlEscape('a\ud800b')).toBe('a\ufffdb');
  });
});
