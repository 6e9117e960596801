import * as fs from 'node:fs';
import { LifeboatError } from './errors';

/** A local account a server is run as: PostgreSQL refuses to run as root. */
export interface LocalAccount {
  user: string;
  uid: number;
  gid: number;
}

export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The account named `user` in /etc/passwd, or undefined. */
export function findAccount(user: string): LocalAccount | undefined {
  let passwd: string;
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? '')) return { user, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * Who a server Lifeboat starts runs as: this process's own user, or, when that is root, the
 * account asked for (lifeboat.postgres.sandboxUser, --sandbox-user), else the server's usual one
 * ("postgres"; "mysql" for MariaDB, whose mariadbd also refuses root).
 */
export function serverAccount(asked?: string, server: { product: string; usualUser: string } = { product: 'PostgreSQL', usualUser: 'postgres' }): LocalAccount | undefined {
  if (!runningAsRoot()) {
    if (asked) throw new LifeboatError('usage', `A sandbox runs as the user Lifeboat runs as; only root can name another (${asked}).`, 'Leave out the sandbox user.');
    return undefined;
  }
  const user = asked ?? server.usualUser;
  const account = findAccount(user);
  if (!account || account.uid === 0) {
    throw new LifeboatError('usage', `Lifeboat runs as root, and ${server.product} refuses to; the sandbox would run as "${user}", ${account ? 'which is root too' : 'which does not exist'}.`,
      `Create an unprivileged account (useradd -r ${server.usualUser}), name one with --sandbox-user (lifeboat.postgres.sandboxUser), or run Lifeboat as a normal user.`);
  }
  return account;
}
