/**
 * A strict structural check of a manifest against the Kubernetes 1.36 API types, as
 * `@kubernetes/client-node` 2.0.1 (generated from Kubernetes release-1.36) describes them: every
 * key is a field of its type (`kubectl apply --validate=strict` refuses unknown fields), every value
 * has its field's type (through arrays, maps and nested types), apiVersion and kind match, and the
 * required fields listed below are present. It does not check enums or formats (names, quantities'
 * syntax), which the 1.33/1.34 JSON schemas check for those versions, nor the API server's
 * cross-field rules, which no test here checks.
 */
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

/** The type of each kind the manifests use, by `apiVersion kind`. */
const KINDS: Record<string, string> = {
  'batch/v1 Job': 'V1Job',
  'v1 ConfigMap': 'V1ConfigMap',
  'v1 PersistentVolumeClaim': 'V1PersistentVolumeClaim',
};

/**
 * Required fields the type maps cannot express, in the types the manifests use. Source: the
 * Kubernetes 1.36 API reference (kubernetes.io/docs/reference/kubernetes-api: fields marked
 * "required"; k8s.test.ts checks this list against the non-optional fields of client-node's types).
 */
export const REQUIRED: Record<string, string[]> = {
  V1JobSpec: ['template'],
  V1PodSpec: ['containers'],
  V1Container: ['name'],
  V1VolumeMount: ['name', 'mountPath'],
  V1Volume: ['name'],
  V1EnvVar: ['name'],
  V1KeyToPath: ['key', 'path'],
  V1PersistentVolumeClaimVolumeSource: ['claimName'],
  V1HTTPGetAction: ['port'],
};

/**
 * What the API server requires of these objects although the schema leaves it optional: a
 * container's image in a Job's pod template ("spec.template.spec.containers[0].image: Required
 * value"), a PVC's accessModes and requests (the server needs requests.storage; only requests is
 * checked here), and the object's metadata.name (`kubectl apply` needs one; generateName is unused),
 * checked by structureProblems since a pod template's metadata needs none.
 */
const SERVER_REQUIRED: Record<string, string[]> = {
  V1Container: ['image'],
  V1PersistentVolumeClaimSpec: ['accessModes', 'resources'],
  V1VolumeResourceRequirements: ['requests'],
};

/** Kubernetes types by name, as client-node generates them (each with its JSON fields' types). */
function attributes(type: string): Attribute[] | undefined {
  const model = (models as Record<string, unknown>)[type] as { getAttributeTypeMap?: () => Attribute[] };
  return model?.getAttributeTypeMap?.();
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problems of one value against a client-node type name, each as `path: what`. */
function check(
  value: unknown,
  type: string,
  format: string,
  path: string,
  out: string[],
  seen: Set<string>,
): void {
  const wrong = (expected: string) => out.push(`${path}: expected ${expected}, found ${shown(value)}`);
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (type === 'any') return;
  if (type === 'string') {
    if (typeof value !== 'string') wrong('a string');
  } else if (type === 'boolean') {
    if (typeof value !== 'boolean') wrong('a boolean');
  } else if (type === 'number') {
    const integer = format === 'int32' || format === 'int64';
    if (typeof value !== 'number' || (integer && !Number.isInteger(value)))
      wrong(integer ? `an integer (${format})` : 'a number');
  } else if (type === 'Date') {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) wrong('an RFC 3339 time string');
  } else if (type === 'IntOrString') {
    if (typeof value !== 'string' && !Number.isInteger(value)) wrong('an integer or a string');
  } else if (array) {
    if (!Array.isArray(value)) wrong(`a list (${type})`);
    else for (const [i, item] of value.entries()) check(item, array[1]!, '', `${path}[${i}]`, out, seen);
  } else if (map) {
    if (!isObject(value)) wrong(`a map (${type})`);
    else for (const [k, v] of Object.entries(value)) check(v, map[1]!, '', `${path}.${k}`, out, seen);
  } else {
    const fields = attributes(type);
    if (!fields) throw new Error(`${path}: client-node has no type ${type}`);
    if (!isObject(value)) return void wrong(`an object (${type})`);
    seen.add(type);
    const byName = new Map(fields.map((f) => [f.baseName, f]));
    const at = (k: string) => (path ? `${path}.${k}` : k);
    for (const [k, v] of Object.entries(value)) {
      const field = byName.get(k);
      if (!field) out.push(`${at(k)}: unknown field "${k}" of ${type}`);
      else check(v, field.type, field.format, at(k), out, seen);
    }
    for (const k of [...(REQUIRED[type] ?? []), ...(SERVER_REQUIRED[type] ?? [])])
      if (!(k in value)) out.push(`${at(k)}: required field of ${type} missing`);
  }
}

/**
 * The problems of a manifest object against Kubernetes 1.36 (none: it is structurally valid);
 * `seen` collects the names of the object types it walked through.
 */
export function structureProblems(manifest: unknown, seen = new Set<string>()): string[] {
  if (!isObject(manifest)) return [`(root): expected an object, found ${shown(manifest)}`];
  const kind = `${String(manifest['apiVersion'])} ${String(manifest['kind'])}`;
  const type = KINDS[kind];
  if (!type) return [`apiVersion/kind: "${kind}" is none of ${Object.keys(KINDS).join(', ')}`];
  const out: string[] = [];
  check(manifest, type, '', '', out, seen);
  const metadata = manifest['metadata'];
  if (!isObject(metadata) || !('name' in metadata))
    out.push('metadata.name: required (kubectl apply) missing');
  return out;
}
