/** Go's time.Time.String() in UTC, which docker prints for CreatedAt. */
export function goTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000 UTC`;
}
