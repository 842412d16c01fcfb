/** Docker's human sizes (decimal units, 3 significant digits: "1.23MB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const s = v < 10 ? v.toPrecision(3) : v < 100 ? v.toPrecision(4) : v.toFixed(0);
  return `${Number(s)}${units[i]}`;
}

/** Docker's "2 hours ago" style. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  const d = Math.round(s / 86400);
  if (d < 14) return `${d} days`;
  if (d < 60) return `${Math.round(d / 7)} weeks`;
  if (d < 365 * 2) return `${Math.round(d / 30)} months`;
  return `${Math.round(d / 365)} years`;
}

export function humanAgo(iso: string | number | Date, now = Date.now()): string {
  const t = new Date(iso).getTime();
  return `${humanDuration(Math.max(0, now - t))} ago`;
}
