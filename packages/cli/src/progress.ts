/**
 * Progress for anything that may take over a second. Nothing shows for the first second;
 * then, on a terminal, one line rewritten in place, and elsewhere (CI logs, pipes) a plain
 * line every few seconds. Updates are driven by tick() rather than a timer, because the
 * CPU kernels run synchronously and would starve a timer anyway.
 */
import type { Io } from './io';

const SHOW_AFTER_MS = 1000;
const TTY_EVERY_MS = 100;
const PLAIN_EVERY_MS = 5000;

export class Progress {
  readonly #io: Io;
  readonly #label: string;
  readonly #total: number;
  readonly #now: () => number;
  readonly #start: number;
  #lastShown = Number.NEGATIVE_INFINITY;
  #shown = false;
  #done = 0;

  /** `now` is the clock in ms (tests pass a fake one). */
  constructor(io: Io, label: string, total: number, now: () => number = () => performance.now()) {
    this.#io = io;
    this.#label = label;
    this.#total = total;
    this.#now = now;
    this.#start = now();
  }

  /** Record `n` more steps done; redraw if it is time. */
  tick(n = 1, note = ''): void {
    this.#done += n;
    const now = this.#now();
    if (now - this.#start < SHOW_AFTER_MS) return;
    const every = this.#io.progressIsTTY ? TTY_EVERY_MS : PLAIN_EVERY_MS;
    if (now - this.#lastShown < every && this.#done < this.#total) return;
    this.#lastShown = now;
    this.#draw(now, note);
  }

  /** Clear the line (TTY) so results print cleanly after it. */
  finish(): void {
    if (this.#shown && this.#io.progressIsTTY) this.#io.progressWrite('\r\x1b[2K');
    this.#shown = false;
  }

  #draw(now: number, note: string): void {
    const pct = this.#total > 0 ? Math.min(100, Math.floor((100 * this.#done) / this.#total)) : 0;
    const secs = ((now - this.#start) / 1000).toFixed(1);
    const text = `${this.#label}: ${this.#done}/${this.#total} (${pct}%) ${secs}s${note ? ` ${note}` : ''}`;
    if (this.#io.progressIsTTY) {
      this.#io.progressWrite(`\r\x1b[2K${text.slice(0, Math.max(10, this.#io.columns - 1))}`);
    } else {
      this.#io.progressWrite(`${text}\n`);
    }
    this.#shown = true;
  }
}
