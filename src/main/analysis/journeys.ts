// Journeys: the observations of one packet (seen arriving and leaving, on several interfaces or in
// several captures) grouped by a NAT-invariant fingerprint within a short time window.
import type { Observation } from './observation';

/** All observations of one packet, in time order. */
export interface Journey {
  id: number;
  t: number;
  /** its first observation's fingerprint (-1: none); kept here, one memory load when it ends */
  fp: number;
  obs: Observation[];
}

/**
 * Open journeys by fingerprint: open addressing over typed keys (a JS Map keyed by 52-bit numbers
 * boxes every key and rebuilds its table as thousands of journeys open and close per second).
 */
export class OpenJourneys {
  private keys = new Float64Array(1 << 13);
  private vals: Array<Journey | undefined> = new Array<Journey | undefined>(1 << 13).fill(undefined);
  private mask = (1 << 13) - 1;
  private count = 0;

  private slot(fp: number): number {
    return Math.imul(fp >>> 0, 0x9e3779b1) & this.mask;
  }

  get(fp: number): Journey | undefined {
    for (let i = this.slot(fp); ; i = (i + 1) & this.mask) {
      const v = this.vals[i];
      if (v === undefined || this.keys[i] === fp) return v;
    }
  }

  set(fp: number, j: Journey): void {
    if (this.count * 2 >= this.mask) this.grow();
    let i = this.slot(fp);
    while (this.vals[i] !== undefined && this.keys[i] !== fp) i = (i + 1) & this.mask;
    if (this.vals[i] === undefined) this.count++;
    this.keys[i] = fp;
    this.vals[i] = j;
  }

  delete(fp: number): void {
    let i = this.slot(fp);
    while (this.keys[i] !== fp || this.vals[i] === undefined) {
      if (this.vals[i] === undefined) return;
      i = (i + 1) & this.mask;
    }
    // backward-shift deletion: later entries of the probe run move up, no tombstones
    let hole = i;
    for (let k = (i + 1) & this.mask; this.vals[k] !== undefined; k = (k + 1) & this.mask) {
      const home = this.slot(this.keys[k]!);
      // entry k may fill the hole when its home slot is not cyclically within (hole, k]
      if ((k - home) & this.mask) {
        if (((k - home) & this.mask) >= ((k - hole) & this.mask)) {
          this.keys[hole] = this.keys[k]!;
          this.vals[hole] = this.vals[k];
          hole = k;
        }
      }
    }
    this.vals[hole] = undefined;
    this.count--;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    this.keys = new Float64Array(keys.length * 2);
    this.vals = new Array<Journey | undefined>(keys.length * 2).fill(undefined);
    this.mask = keys.length * 2 - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (vals[i] !== undefined) this.set(keys[i]!, vals[i]!);
  }
}

/** Groups observations (pushed in time order) into journeys, emitted in order of their first observation. */
export class JourneyMatcher {
  /** journeys in creation order; emitted ones are cleared at once (kept, they would outlive the young generation) */
  private readonly queue: Array<Journey | null> = [];
  private head = 0;
  private readonly open = new OpenJourneys();
  private nextId = 1;
  private readonly spare: Journey[] = [];

  /**
   * @param windowSec copies of one packet are stamped by the same kernel clock within microseconds
   *   (forwarding, loopback); 20 ms leaves room for queueing without merging retransmissions (which
   *   carry a new IP id, or repeat an (interface, direction) already in the journey).
   * @param maxOpen bounds memory on bursts: the oldest journeys are emitted first.
   */
  constructor(
    private readonly emit: (j: Journey) => void,
    private readonly windowSec = 0.02,
    private readonly maxOpen = 4096,
  ) {}

  /** Adds one observation; emits journeys that can no longer grow. */
  push(o: Observation): void {
    this.expire(o.t);
    const fp = o.fp;
    if (fp !== null) {
      const j = this.open.get(fp);
      if (j && this.fits(j, o)) {
        j.obs.push(o);
        o.journeyId = j.id;
        return;
      }
    }
    let j = this.spare.pop();
    if (j) {
      j.id = this.nextId++;
      j.t = o.t;
      j.fp = fp ?? -1;
      j.obs.push(o);
    } else j = { id: this.nextId++, t: o.t, fp: fp ?? -1, obs: [o] };
    o.journeyId = j.id;
    this.queue.push(j);
    if (fp !== null) this.open.set(fp, j);
  }

  private fits(j: Journey, o: Observation): boolean {
    if (o.t - j.t > this.windowSec) return false;
    if (o.ifaceId === null && o.dir === null) return false;
    const first = j.obs[0]!;
    if (o.ttl !== null && first.ttl !== null && (o.ttl > first.ttl || o.ttl < first.ttl - 1)) return false;
    // The same packet is seen once per capture, interface and direction — unless NAT changed it in
    // between (hairpin: in and out of one bridge port, direction unknown in a per-interface pcapng).
    // A second capture of the same host may see it again (different input): still the same journey.
    for (const p of j.obs) {
      if (p.ifaceId !== o.ifaceId || p.dir !== o.dir || p.input !== o.input) continue;
      if (p.src === o.src && p.dst === o.dst && p.sport === o.sport && p.dport === o.dport) return false;
    }
    return true;
  }

  private expire(now: number): void {
    while (this.head < this.queue.length) {
      const j = this.queue[this.head]!;
      if (now - j.t <= this.windowSec && this.queue.length - this.head < this.maxOpen) break;
      this.finish(j);
    }
    if (this.head > 4096) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private finish(j: Journey): void {
    this.queue[this.head++] = null;
    const fp = j.fp;
    if (fp !== -1 && this.open.get(fp) === j) this.open.delete(fp);
    this.emit(j);
  }

  /**
   * Takes back an emitted journey the consumer is done with, to reuse for a later packet: a journey
   * lives for the window, long enough to be promoted out of the young generation if new each time.
   */
  release(j: Journey): void {
    // pop, not `length = 0` (a runtime call): a journey has a few observations
    while (j.obs.length) j.obs.pop();
    if (this.spare.length < 4096) this.spare.push(j);
  }

  /** Emits every open journey (end of input). */
  flush(): void {
    while (this.head < this.queue.length) this.finish(this.queue[this.head]!);
    this.queue.length = 0;
    this.head = 0;
  }
}
