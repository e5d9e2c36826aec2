// The simulation's only source of chance: a seeded generator (mulberry32), so a run is reproducible from its seed.

export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A made-up SHA-1 thumbprint: 40 uppercase hex digits. */
  thumbprint(): string {
    let out = "";
    for (let i = 0; i < 5; i++) out += this.int(0x1_0000_0000).toString(16).padStart(8, "0");
    return out.toUpperCase();
  }
}
