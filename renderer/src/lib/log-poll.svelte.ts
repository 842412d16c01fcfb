/**
 * A log followed by polling from a cursor (the container and app pages): each pull appends what
 * is new (the last `max` lines kept), so a chatty container cannot flood the page, and says
 * when lines came so the page can scroll to them.
 */
export class LogPoll<L, C> {
  lines = $state<L[]>([]);
  error = $state('');

  constructor(
    private readonly read: (cursor: C) => Promise<{ lines: L[]; cursor: C }>,
    private cursor: C,
    private readonly onLines: () => void = () => {},
    private readonly max = 10_000,
  ) {}

  async pull(): Promise<void> {
    try {
      const r = await this.read(this.cursor);
      this.cursor = r.cursor;
      if (r.lines.length) {
        this.lines = [...this.lines, ...r.lines].slice(-this.max);
        this.onLines();
      }
      this.error = '';
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }
}
