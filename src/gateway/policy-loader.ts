/**
 * Resolves a scenario's policy reference to a definition and validated params: a built-in name
 * from the registry (policies/index.ts), or a path to a user's TS/JS module, bundled with esbuild
 * on load so it may import `floodgate` and TypeScript without a build step.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinPolicies } from '../../policies/index.ts';
import { FloodgateError, formatPath, ScenarioInvalidError } from '../errors.ts';
import { didYouMean } from '../scenario/suggest.ts';
import type { PolicyDefinition, PolicyKind } from './policy.ts';

export interface ResolvedPolicy {
  definition: PolicyDefinition;
  params: unknown;
}

export interface PolicySource {
  /** Scenario file (labels errors). */
  file: string;
  /** Paths resolve against it. */
  baseDir: string;
  /** YAML path of the reference, e.g. ['gateway', 'routing']. */
  path: readonly PropertyKey[];
}

const builtins = builtinPolicies as readonly PolicyDefinition[];

/** Names of the built-in policies of one kind (for help text and errors). */
export function builtinPolicyNames(kind: PolicyKind): string[] {
  return builtins.filter((p) => p.kind === kind).map((p) => p.name);
}

export function isPolicyPath(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.(m?[jt]s)$/.test(ref);
}

export async function resolvePolicy(
  ref: { policy: string; params: Record<string, unknown> },
  kind: PolicyKind,
  source: PolicySource,
): Promise<ResolvedPolicy> {
  const where = `${source.file}: ${formatPath(source.path)}.policy`;
  let definition: PolicyDefinition | undefined;
  if (isPolicyPath(ref.policy)) {
    definition = await loadPolicyModule(
      isAbsolute(ref.policy) ? ref.policy : resolve(source.baseDir, ref.policy),
      where,
    );
  } else {
    definition = builtins.find((p) => p.name === ref.policy);
    if (!definition) {
      const names = builtinPolicyNames(kind);
      throw new FloodgateError(
        'FG_UNKNOWN_POLICY',
        `${where}: expected a ${kind} policy (${names.join(', ')}) or a path to a policy module, got '${ref.policy}'${didYouMean(
          ref.policy,
          builtins.map((p) => p.name),
        )}`,
      );
    }
  }
  if (definition.kind !== kind) {
    throw new FloodgateError(
      'FG_POLICY_INVALID',
      `${where}: '${ref.policy}' is a ${definition.kind} policy, expected a ${kind} policy`,
    );
  }
  if (!definition.params) {
    const extra = Object.keys(ref.params);
    if (extra.length > 0) {
      throw new ScenarioInvalidError([
        {
          file: source.file,
          path: formatPath([...source.path, 'params', extra[0]!]),
          message: `policy '${definition.name}' takes no parameters`,
        },
      ]);
    }
    return { definition, params: {} };
  }
  const parsed = definition.params.safeParse(ref.params);
  if (!parsed.success) {
    throw new ScenarioInvalidError(
      parsed.error.issues.map((issue) => {
        const found = issue.path.reduce<unknown>(
          (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey],
          ref.params,
        );
        const suffix = found === undefined ? '' : `, got ${JSON.stringify(found)}`;
        const known = (definition.params as { shape?: Record<string, unknown> }).shape;
        let message = issue.message.replace(/^Invalid input: /, '');
        if (issue.code === 'unrecognized_keys' && known) {
          message = issue.keys
            .map(
              (k) =>
                `unknown parameter '${k}'${didYouMean(k, Object.keys(known))}; valid: ${Object.keys(known).join(', ')}`,
            )
            .join('; ');
          return { file: source.file, path: formatPath([...source.path, 'params']), message };
        }
        return {
          file: source.file,
          path: formatPath([...source.path, 'params', ...(issue.path as PropertyKey[])]),
          message: `${message}${suffix}`,
        };
      }),
    );
  }
  return { definition, params: parsed.data };
}

const moduleCache = new Map<string, PolicyDefinition>();

/** Bundles and imports a user policy module; its default export must come from definePolicy. */
export async function loadPolicyModule(file: string, where: string): Promise<PolicyDefinition> {
  const cached = moduleCache.get(file);
  if (cached) return cached;
  if (!existsSync(file))
    throw new FloodgateError('FG_POLICY_INVALID', `${where}: policy module '${file}' does not exist`);
  const { build } = await import('esbuild');
  let code: string;
  try {
    const out = await build({
      entryPoints: [file],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      sourcemap: 'inline',
      alias: { floodgate: publicApiPath() },
    });
    code = out.outputFiles[0]!.text;
  } catch (e) {
    const errors =
      (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] })
        .errors ?? [];
    const first = errors[0];
    const loc = first?.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw new FloodgateError(
      'FG_POLICY_INVALID',
      `${where}: cannot compile policy module: ${loc}${first?.text ?? (e as Error).message}`,
    );
  }
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {
    default?: unknown;
  };
  const def = mod.default as PolicyDefinition | undefined;
  if (
    !def ||
    typeof def !== 'object' ||
    typeof def.create !== 'function' ||
    typeof def.name !== 'string' ||
    (def.kind !== 'routing' && def.kind !== 'admission')
  ) {
    throw new FloodgateError(
      'FG_POLICY_INVALID',
      `${where}: ${file} must default-export definePolicy({ name, kind: 'routing' | 'admission', create })`,
    );
  }
  moduleCache.set(file, def);
  return def;
}

/** The `floodgate` module user policies import (src/index.ts of this checkout). */
function publicApiPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = resolve(dir, 'src', 'index.ts');
    if (existsSync(resolve(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find floodgate/src/index.ts to resolve user policy imports');
}
