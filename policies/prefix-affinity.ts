/**
 * prefix-affinity: requests sharing a prompt prefix (`prefixId`) go to the same target, chosen by
 * rendezvous (highest-random-weight) hashing of the prefix over the target names, so the choice
 * needs no table and moves only the prefixes of a target that leaves the list; when that target
 * has more than `maxImbalance` (default 8) attempts in flight above the least loaded target, the
 * request goes to the least loaded instead. Requests without a prefix (-1) go to the least loaded.
 * Source: AIBrix's prefix-cache router (least-request pod when the running-request spread exceeds
 * an absolute imbalance bound, default 8, else prefix match); rendezvous hashing (Thaler and
 * Ravishankar, 1996) for the stateless affine choice. AIBrix checks the spread over all pods;
 * here it is the affine target against the least loaded, so one hot pod elsewhere does not
 * break every prefix's affinity.
 * Tie-break: the first target in the list, for both the highest hash weight and the least load.
 */
import { z } from 'zod';
import { definePolicy, reject } from '../src/gateway/policy.ts';

/** murmur3's 32-bit finaliser: a cheap, well-mixed integer hash. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of a name. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The rendezvous weight of a prefix on a target. */
function rendezvousWeight(prefixId: number, nameHash: number): number {
  return fmix32((nameHash ^ fmix32(prefixId | 0)) >>> 0);
}

export default definePolicy({
  name: 'prefix-affinity',
  kind: 'routing',
  description: 'Same prefix, same target (rendezvous hashing); least in-flight past an imbalance bound.',
  params: z.strictObject({ maxImbalance: z.number().int().min(0).default(8) }),
  create(params) {
    const noTarget = reject('no-target');
    /** Per target index: hash of its name. */
    const nameHash: number[] = [];
    return {
      route(req, targets) {
        const n = targets.length;
        if (n === 0) return noTarget;
        let least = targets[0]!;
        for (let k = 1; k < n; k++) if (targets[k]!.inFlight < least.inFlight) least = targets[k]!;
        const prefixId = req.prefixId;
        if (prefixId < 0) return least;
        let affine = least;
        let bestWeight = -1;
        for (let k = 0; k < n; k++) {
          const t = targets[k]!;
          let h = nameHash[t.index];
          if (h === undefined) nameHash[t.index] = h = fnv1a(t.name);
          const w = rendezvousWeight(prefixId, h);
          if (w > bestWeight) {
            bestWeight = w;
            affine = t;
          }
        }
        return affine.inFlight - least.inFlight > params.maxImbalance ? least : affine;
      },
    };
  },
});
