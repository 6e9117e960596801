/**
 * Errors a person can act on: what failed (message), why (cause), and what to do (hint).
 * Every layer throws these; the CLI maps `code` to an exit status and the editor shows
 * `message` and `hint` as they are.
 */
export type ErrorCode =
  | 'usage'              // the caller asked for something malformed
  | 'not-found'          // a file, backup or connection does not exist
  | 'already-exists'     // refusing to overwrite without an explicit request
  | 'connection'         // cannot reach or log in to a database
  | 'unsupported'        // a feature or engine that this version does not provide
  | 'driver'             // no database driver can be loaded in this runtime
  | 'integrity'          // a database copy failed its integrity check
  | 'verification'       // a stored backup does not match its manifest
  | 'io'                 // the file system or storage refused (disk full, permissions)
  | 'conflict'           // the data changed under us (a merge found rows changed since the diff)
  | 'cancelled';         // the user or a signal stopped the operation

/** Where an error keeps the brands of its classes (see LifeboatError's instanceof). */
const BRANDS = Symbol.for('lifeboat.errorBrands');

export class LifeboatError extends Error {
  override readonly name = 'LifeboatError';
  /**
   * `instanceof` by brand, not by prototype: the S3 destination is a bundle of its own
   * (scripts/build.mjs) with its own copy of these classes, and its errors must still be
   * LifeboatErrors (and CancelledErrors) to the CLI and the editor. Each class names its brand;
   * minification may rename the classes, never these strings.
   */
  static readonly brand: string = 'LifeboatError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    const brands = typeof value === 'object' && value !== null ? (value as { [BRANDS]?: unknown })[BRANDS] : undefined;
    return Array.isArray(brands) && brands.includes((this as typeof LifeboatError).brand);
  }

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    const brands: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && Object.hasOwn(c, 'brand'); c = Object.getPrototypeOf(c)) brands.push((c as typeof LifeboatError).brand);
    Object.defineProperty(this, BRANDS, { value: brands });
  }

  /** One line for logs and notifications: the message, then what to do. */
  get fullMessage(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export class CancelledError extends LifeboatError {
  static override readonly brand: string = 'CancelledError';
  constructor(what = 'The operation') {
    super('cancelled', `${what} was cancelled; nothing was kept.`);
  }
}

/** A disk (the destination's, a restore target's, scratch space) ran out of room: the
 *  circumstances of the job, never a sign that the backup is damaged. */
export class DiskFullError extends LifeboatError {
  static override readonly brand: string = 'DiskFullError';
  constructor(message: string, hint = 'Free some space or choose another folder; nothing partial was kept.', options?: { cause?: unknown }) {
    super('io', message, hint, options);
  }
}

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

const DISK_FULL_HINT = 'Free some space or choose another backup folder; nothing partial was kept.';

/** A tool (pg_dump, zstd) that stopped because the disk it wrote to is full: `action` failed, and
 *  `said` is the tool's own line. The same words whichever tool found it. */
export function toolDiskFull(action: string, tool: string, said: string): DiskFullError {
  return new DiskFullError(`Could not ${action}: the disk is full (${tool}: ${said}).`, DISK_FULL_HINT);
}

/** True for a DiskFullError, or an error that is (or was caused by) ENOSPC / EDQUOT. */
export function isDiskFull(error: unknown): boolean {
  return causedBy(error, e => e instanceof DiskFullError || DISK_FULL_CODES.has(String((e as NodeJS.ErrnoException).code)));
}

/** Whether the error, or one in its chain of causes, is what `test` looks for. */
export function causedBy(error: unknown, test: (error: Error) => boolean): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (test(e)) return true;
  }
  return false;
}

export function isCancelled(error: unknown): boolean {
  return error instanceof LifeboatError && error.code === 'cancelled';
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** File-system errors translated into what a person would do about them. */
export function explainIoError(error: unknown, action: string): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const err = error as NodeJS.ErrnoException;
  const where = err.path ? ` (${err.path})` : '';
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DiskFullError(`Could not ${action}: the disk is full${where}.`, DISK_FULL_HINT, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new LifeboatError('io', `Could not ${action}: permission denied${where}.`,
        'Check that this user may write there, or choose another folder.', { cause: error });
    case 'ENOENT':
      return new LifeboatError('not-found', `Could not ${action}: no such file or folder${where}.`, undefined, { cause: error });
    case 'EEXIST':
      return new LifeboatError('already-exists', `Could not ${action}: it already exists${where}.`, undefined, { cause: error });
    default:
      return new LifeboatError('io', `Could not ${action}: ${err.message ?? String(error)}`, undefined, { cause: error });
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof LifeboatError) return error.fullMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
