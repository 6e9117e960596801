import { LifeboatError } from '../core/errors';
import type { ServerConnection } from '../core/connection';

/** Socket-level failures, the same for every server engine. Returns undefined for others. */
export function explainNetworkError(error: unknown, c: ServerConnection): LifeboatError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${c.host}:${c.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new LifeboatError('connection', `Nothing is listening on ${where}.`, 'Is the server running? Check the host and port of the connection.', { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LifeboatError('connection', `The host "${c.host}" cannot be found.`, 'Check the host name of the connection and your DNS or VPN.', { cause: error });
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new LifeboatError('connection', `${where} does not answer (${code}).`, 'Check the host, port, firewall and VPN.', { cause: error });
    case 'ENOENT':
      return new LifeboatError('connection', `There is no server socket at ${c.host}.`, 'Is the server running? Check the socket folder.', { cause: error });
    default:
      if (/timeout/i.test((error as Error)?.message ?? '')) {
        return new LifeboatError('connection', `${where} did not answer in time.`, 'Check the host, port, firewall and VPN.', { cause: error });
      }
      return undefined;
  }
}
