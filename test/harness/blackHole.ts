/**
 * A TCP listener on 127.0.0.1 that accepts connections and never answers: the endpoint of a
 * server that hangs. Pointing `codecraft.endpoint` at it proves activation never waits for the
 * network. It runs inside the harness process and `close()` ends it and every socket it holds.
 */
import { createServer, type Socket } from 'node:net';

export interface BlackHole {
  readonly port: number;
  readonly endpoint: string;
  /** connections accepted so far */
  readonly connections: number;
  close(): Promise<void>;
}

export function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // read and discard; never write
    socket.resume();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        port,
        endpoint: `http://127.0.0.1:${port}/v1`,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
