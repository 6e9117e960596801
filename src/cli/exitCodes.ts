import type { ErrorCode } from '../core/errors';

/** Exit statuses scripts can rely on (documented in README and `lifeboat --help`). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  verificationFailed: 3,
  connectionFailed: 4,
  notFound: 5,
  conflict: 6,
  cancelled: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
    case 'already-exists':
    case 'unsupported':
      return EXIT.usage;
    case 'verification':
    case 'integrity':
      return EXIT.verificationFailed;
    case 'connection':
      return EXIT.connectionFailed;
    case 'not-found':
      return EXIT.notFound;
    case 'conflict':
      return EXIT.conflict;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}

export const EXIT_CODES_HELP = `
Exit status:
  0    success
  1    the operation failed (I/O, disk full, driver)
  2    usage error (bad option, unknown connection, target exists, an option another engine takes)
  3    verification failed: a backup or copy is damaged
  4    cannot connect or log in to the database
  5    a file, backup or connection was not found
  6    merge conflict: production rows changed since the comparison; nothing was written
  130  cancelled (Ctrl-C, SIGTERM); nothing partial is kept`;
