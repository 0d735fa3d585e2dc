/**
 * A progress bar with an ETA on stderr: redrawn in place on a terminal, one
 * line every few seconds otherwise (CI logs).
 */
export class ProgressBar {
  readonly #total: number;
  readonly #unit: string;
  readonly #started = Date.now();
  readonly #tty = process.stderr.isTTY === true;
  #lastDraw = 0;

  constructor(options: { total: number; unit: string }) {
    this.#total = options.total;
    this.#unit = options.unit;
  }

  update(done: number, extra = ''): void {
    const now = Date.now();
    if (now - this.#lastDraw < (this.#tty ? 200 : 5_000) && done < this.#total) return;
    this.#lastDraw = now;
    process.stderr.write(this.#tty ? `\r${this.line(done, now, extra)}\u001b[K` : `${this.line(done, now, extra)}\n`);
  }

  done(summary: string): void {
    process.stderr.write(`${this.#tty ? '\r\u001b[K' : ''}${summary}\n`);
  }

  line(done: number, now = Date.now(), extra = ''): string {
    const fraction = this.#total === 0 ? 1 : Math.min(1, done / this.#total);
    const width = 30;
    const filled = Math.round(fraction * width);
    const elapsed = (now - this.#started) / 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.NaN;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${done.toLocaleString('en')}/${this.#total.toLocaleString('en')} ${this.#unit}${extra}  elapsed ${clock(elapsed)}  ETA ${Number.isFinite(eta) ? clock(eta) : '--:--'}`;
  }
}

export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
