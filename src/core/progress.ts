/**
 * Progress as the user sees it: one fraction for the whole operation that never runs backwards.
 *
 * An operation is a list of phases, each with a weight (its expected share of the wall time).
 * A phase reports its own fraction; this maps it into the overall range and clamps it so that
 * a phase which restarts (SQLite's backup does when another connection writes) cannot move the
 * bar back.
 */
export interface ProgressUpdate {
  /** 0..1 for the whole operation, never smaller than a previous update. */
  fraction: number;
  /** What is happening now, e.g. "Copying pages 1200/5000". */
  message: string;
}

export type ProgressListener = (update: ProgressUpdate) => void;

export class PhasedProgress<Phase extends string> {
  private readonly starts = new Map<Phase, number>();
  private readonly total: number;
  private reported = 0;

  constructor(
    private readonly weights: Readonly<Record<Phase, number>>,
    private readonly listener: ProgressListener = () => {},
  ) {
    let start = 0;
    for (const phase of Object.keys(weights) as Phase[]) {
      this.starts.set(phase, start);
      start += weights[phase];
    }
    this.total = start;
  }

  /** Report that `phase` is `fraction` (0..1) done. */
  report(phase: Phase, fraction: number, message: string): void {
    const within = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    const overall = ((this.starts.get(phase) ?? 0) + within * this.weights[phase]) / this.total;
    this.reported = Math.max(this.reported, Math.min(1, overall));
    this.listener({ fraction: this.reported, message });
  }

  /** The fraction last reported, for callers that need increments (VS Code's progress API). */
  get fraction(): number {
    return this.reported;
  }
}

/** Passes at most one update per `intervalMs` to `listener`, but always the first and the last
 *  (fraction 1), so a fast stream of byte counts does not flood a UI or a log. An update held
 *  back is delivered when the interval is over, unless a newer one came: the message on screen
 *  is never one that is no longer true ("Dumping orders" while a big table has started). */
export function throttleProgress(listener: ProgressListener, intervalMs: number): ProgressListener {
  let last = -Infinity;
  let pending: ProgressUpdate | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deliver = (update: ProgressUpdate) => {
    last = performance.now();
    pending = undefined;
    if (timer) clearTimeout(timer);
    timer = undefined;
    listener(update);
  };
  return update => {
    const wait = intervalMs - (performance.now() - last);
    if (update.fraction >= 1 || wait <= 0) return deliver(update);
    pending = update;
    if (!timer) {
      timer = setTimeout(() => { if (pending) deliver(pending); }, wait);
      timer.unref?.();
    }
  };
}
