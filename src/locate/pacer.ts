/** How often, in milliseconds of work, a long search hands control to its caller. */
const INTERVAL_MS = 10;

/** Calls the progress hook every INTERVAL_MS of work (never more often), with a fraction that never goes back. */
export class Pacer {
  private last = performance.now();
  private fraction = 0;

  constructor(private readonly onProgress?: (fraction: number) => Promise<void>) {}

  /** A promise to await when the hook is due, otherwise undefined (so the hot path stays synchronous). */
  maybe(fraction: number): Promise<void> | undefined {
    if (!this.onProgress) return undefined;
    const now = performance.now();
    if (now - this.last < INTERVAL_MS) return undefined;
    this.fraction = Math.min(1, Math.max(this.fraction, fraction));
    return this.onProgress(this.fraction).then(() => {
      this.last = performance.now();
    });
  }
}
