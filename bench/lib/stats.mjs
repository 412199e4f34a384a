// Small statistics helpers shared by the benchmarks.

/** Percentile (0..100) of a list of numbers, by nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const median = (values) => percentile(values, 50);

/** Nanosecond clock as a number of microseconds. */
export const nowUs = () => Number(process.hrtime.bigint()) / 1000;

export function fmtUs(us) {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`;
}

export function ratio(a, b) {
  return `${(a / b).toFixed(2)}×`;
}
