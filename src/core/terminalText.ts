// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- the same, but for a document's line breaks and tabs
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from a backup folder (ids, names, file names, messages that quote them) is input from
 * outside: on a terminal, its control characters (C0 with ESC, CR and LF, DEL, C1) could move the
 * cursor, recolour or rewrite what was printed, or start a line that looks like Lifeboat's own
 * ("… verified"). Text for a terminal goes through this, so each shows as "\x1b" instead.
 * `layout` keeps line breaks and tabs, for a document (SQL) whose lines are its own.
 */
export function escapeControl(text: string, keep: 'nothing' | 'layout' = 'nothing'): string {
  return text.replace(keep === 'layout' ? CONTROL_BUT_LAYOUT : CONTROL, char => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
