import type { SslMode } from '../core/connection';

/**
 * libpq and the MySQL clients default to "prefer": TLS when the server offers it, plain otherwise,
 * so a password is not sent in the clear to a server that could have encrypted it. The Node
 * drivers have no such mode, so it is done here: try with TLS, and only if the server says it has
 * none, try again without.
 */
export async function connectPreferringTls<T>(mode: SslMode | undefined, attempt: (tls: boolean) => Promise<T>, serverHasNoTls: (error: unknown) => boolean): Promise<T> {
  if (mode === 'disable') return attempt(false);
  if (mode === 'require' || mode === 'verify-full') return attempt(true);
  try {
    return await attempt(true);
  } catch (error) {
    if (!serverHasNoTls(error)) throw error;
    return attempt(false);
  }
}
