// pcapng timestamps (draft-ietf-opsawg-pcapng, if_tsresol): 64-bit counts of 10^-n or 2^-n seconds.

/** How to turn a raw 64-bit timestamp of one interface into seconds + nanoseconds. */
export interface TsResolution {
  /** Units per second (10^n or 2^n). */
  unitsPerSec: number;
  /** True for 2^-n resolutions (if_tsresol MSB set). */
  binary: boolean;
  /** The n of 10^-n or 2^-n. */
  exponent: number;
}

/** Decode an if_tsresol byte (default 6, i.e. µs). */
export function tsResolution(byte: number): TsResolution {
  const binary = (byte & 0x80) !== 0;
  const exponent = byte & 0x7f;
  return { unitsPerSec: binary ? 2 ** exponent : 10 ** exponent, binary, exponent };
}

/** Result of splitTimestamp; reused so the per-record path allocates nothing. */
export const tsOut = { sec: 0, nsec: 0 };

const TWO32 = 4294967296;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Split the 64-bit timestamp hi:lo into whole seconds and nanoseconds (truncated) into `tsOut`.
 * Decimal resolutions up to 10^-9 stay in doubles: when hi:lo exceeds 2^53 (every ns timestamp
 * does) a 32/16/16-bit long division keeps every intermediate below 2^53, so the result is exact.
 * Binary and finer-than-ns resolutions are rare and go through BigInt.
 */
export function splitTimestamp(hi: number, lo: number, res: TsResolution): void {
  if (!res.binary && res.exponent <= 9) {
    const units = res.unitsPerSec;
    let sec: number;
    let rem: number;
    if (hi < 0x200000) {
      const v = hi * TWO32 + lo;
      sec = Math.floor(v / units);
      rem = v - sec * units;
    } else {
      const q1 = Math.floor(hi / units);
      const r1 = hi - q1 * units;
      const x = r1 * 65536 + (lo >>> 16);
      const q2 = Math.floor(x / units);
      const r2 = x - q2 * units;
      const y = r2 * 65536 + (lo & 0xffff);
      const q3 = Math.floor(y / units);
      rem = y - q3 * units;
      sec = q1 * TWO32 + q2 * 65536 + q3;
    }
    // Floating division can round up across an integer boundary; one correction step suffices.
    if (rem < 0) {
      sec -= 1;
      rem += units;
    } else if (rem >= units) {
      sec += 1;
      rem -= units;
    }
    tsOut.sec = sec;
    tsOut.nsec = rem * (POW10[9 - res.exponent] ?? 1);
    return;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  if (res.binary) {
    const n = BigInt(res.exponent);
    const rem = v & ((1n << n) - 1n);
    tsOut.sec = Number(v >> n);
    tsOut.nsec = Number((rem * 1_000_000_000n) >> n);
  } else {
    const units = 10n ** BigInt(res.exponent);
    tsOut.sec = Number(v / units);
    tsOut.nsec = Number(((v % units) * 1_000_000_000n) / units);
  }
}
