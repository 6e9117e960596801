import type * as vscode from 'vscode';

/**
 * Which connection a restored database came from, recorded when a restore adds it as a
 * connection, so that "Compare with Production…" proposes that connection first. An editor-side
 * hint only: the backup folder stays the catalog, and a connection without a record is compared
 * with whichever connection the person picks.
 */
export interface RestoredFrom {
  /** The connection the backup was taken of (the production side of a later comparison). */
  connectionId: string;
  backupId: string;
}

const KEY = (restoredId: string) => `lifeboat.restoredFrom/${restoredId}`;

export function recordRestoredFrom(memento: vscode.Memento, restoredId: string, origin: RestoredFrom): Thenable<void> {
  return memento.update(KEY(restoredId), origin);
}

export function restoredFrom(memento: vscode.Memento, restoredId: string): RestoredFrom | undefined {
  return memento.get<RestoredFrom>(KEY(restoredId));
}
