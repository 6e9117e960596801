import { createServer } from 'node:net';

/**
 * A TCP port that nothing listens on right now: the kernel picks one for a socket bound to port 0,
 * which is closed again before the port is returned. Another process may take it in between, so a
 * server started on it should retry with a new port when it finds it taken.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(closeError => {
        if (closeError) reject(closeError);
        else if (port === undefined) reject(new Error(`Could not learn which port was bound on ${host}.`));
        else resolve(port);
      });
    });
  });
}
