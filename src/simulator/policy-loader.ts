/**
 * Resolves a scenario's policy reference to a definition and validated params: a built-in name
 * from the registry (policies/index.ts), or a path to a user's TS/JS module, bundled with esbuild
 * on load so it may import `floodgate` and TypeScript without a build step.
 */
import { isAbsolute, resolve } from 'node:path';
import { builtinPolicies } from '../../policies/index.ts';
import { FloodgateError, formatPath, ScenarioInvalidError } from '../errors.ts';
import type { PolicyDefinition, PolicyKind } from '../gateway/policy.ts';
import { importUserModule, thrownText } from '../scenario/load-module.ts';
import { didYouMean } from '../scenario/suggest.ts';
import { quoted, shorten } from '../text/quote.ts';

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

/** Is `definition` one of the built-in policies (which keep no request view after a call)? */
export function isBuiltinPolicy(definition: PolicyDefinition): boolean {
  return builtins.includes(definition);
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
        `${where}: expected a ${kind} policy (${names.join(', ')}) or a path to a policy module, got '${shorten(ref.policy, 200)}'${didYouMean(
          ref.policy,
          builtins.map((p) => p.name),
        )}`,
      );
    }
  }
  if (definition.kind !== kind) {
    throw new FloodgateError(
      'FG_POLICY_INVALID',
      `${where}: '${shorten(ref.policy, 200)}' is a ${definition.kind} policy, expected a ${kind} policy`,
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
        const suffix =
          found === undefined ? '' : `, got ${shorten(JSON.stringify(found) ?? String(found), 40)}`;
        const known = (definition.params as { shape?: Record<string, unknown> }).shape;
        let message = issue.message.replace(/^Invalid input: /, '');
        if (issue.code === 'unrecognized_keys' && known) {
          message = issue.keys
            .map(
              (k) =>
                `unknown parameter ${quoted(k)}${didYouMean(k, Object.keys(known))}; valid: ${Object.keys(known).join(', ')}`,
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
  const mod = await importUserModule(file, where, 'FG_POLICY_INVALID');
  const def = mod['default'] as PolicyDefinition | undefined;
  if (
    !def ||
    typeof def !== 'object' ||
    typeof def.create !== 'function' ||
    typeof def.name !== 'string' ||
    (def.kind !== 'routing' && def.kind !== 'admission' && def.kind !== 'health')
  ) {
    throw new FloodgateError(
      'FG_POLICY_INVALID',
      `${where}: ${file} must default-export definePolicy({ name, kind: 'routing' | 'admission' | 'health', create })`,
    );
  }
  const guarded = guardUserPolicy(def, file);
  moduleCache.set(file, guarded);
  return guarded;
}

/**
 * A user policy whose code throws (in `create` or in any method it returns) is the user's mistake:
 * the error names the module and the method, with the thrown message, instead of a stack through
 * a bundled data: URL and exit 70. Built-in policies are not wrapped.
 */
function guardUserPolicy(def: PolicyDefinition, file: string): PolicyDefinition {
  const fail = (what: string, e: unknown): FloodgateError =>
    e instanceof FloodgateError
      ? e
      : new FloodgateError('FG_POLICY_INVALID', `${file}: ${what} threw: ${thrownText(e)}`);
  return {
    ...def,
    create(params, ctx) {
      let policy: object;
      try {
        policy = def.create(params, ctx) as object;
      } catch (e) {
        throw fail(`policy '${shorten(def.name)}' create()`, e);
      }
      if (typeof policy !== 'object' || policy === null)
        throw new FloodgateError(
          'FG_POLICY_INVALID',
          `${file}: policy '${shorten(def.name)}' create() returned ${policy === null ? 'null' : typeof policy}, expected an object with the policy's methods`,
        );
      for (const key of methodNames(policy)) {
        const method = (policy as Record<string, unknown>)[key] as (...args: unknown[]) => unknown;
        const wrapped = (...args: unknown[]) => {
          try {
            return method.apply(policy, args);
          } catch (e) {
            throw fail(`policy '${shorten(def.name)}' ${key}()`, e);
          }
        };
        try {
          (policy as Record<string, unknown>)[key] = wrapped;
        } catch {
          // A frozen object keeps its methods unguarded.
        }
      }
      return policy as ReturnType<PolicyDefinition['create']>;
    },
  };
}

/** Function-valued properties of an object and its prototypes (not Object.prototype's). */
function methodNames(policy: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = policy; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d && typeof d.value === 'function') names.add(key);
    }
  }
  return [...names];
}
