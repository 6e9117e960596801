import * as path from 'node:path';
import { LifeboatError } from './errors';

/**
 * Paths built from names that came from outside (a manifest, an object key) must stay in the
 * folder they are meant for: these checks are the last line, behind the manifest's grammar.
 */

/** Whether `candidate` is strictly below `root` once both are resolved ("..", absolute parts). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(root), path.resolve(candidate));
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** `folder`/`name` for a name that must be one plain path component. */
export function childPath(folder: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('\0') || name.includes('/') || name.includes(path.sep)) {
    throw new LifeboatError('usage', `${JSON.stringify(name)} is not a plain file name.`);
  }
  return path.join(folder, name);
}
