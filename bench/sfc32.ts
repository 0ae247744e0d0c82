/**
 * sfc32 (Chris Doty-Humphrey's small fast counter generator), seeded from a run seed: the floor's
 * generator, shared with the ladder's `queue` rung so that rung draws exactly the floor's numbers.
 * The state lives in the closure's locals: no object is touched per draw.
 */
export function sfc32(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = 1;
  const rand = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return ((t >>> 0) + 0.5) / 4294967296; // (0, 1): log never sees 0
  };
  for (let i = 0; i < 15; i++) rand();
  return rand;
}
