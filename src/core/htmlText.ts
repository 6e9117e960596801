/** Text and attribute values inside HTML Lifeboat writes (the diff page, the Recovery Report):
 *  names from a backup folder can hold any character, and none of them may become markup. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}
