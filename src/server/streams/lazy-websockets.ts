/**
 * `ws`'s WebSocketServer, loaded and made on the first upgrade that needs it: most emulators (and most test processes)
 * never upgrade a stream, and loading `ws` costs a process about 70 ms of CPU at start.
 */
import type { ServerOptions, WebSocketServer } from 'ws';

type WsModule = typeof import('ws');

let wsModule: Promise<WsModule> | undefined;

/** The `ws` module, imported once. */
export const loadWs = (): Promise<WsModule> => {
  wsModule ??= import('ws');
  return wsModule;
};

/** A function answering one WebSocketServer with `options`, made on its first call. */
export function lazyWebSocketServer(options: ServerOptions): () => Promise<WebSocketServer> {
  let server: Promise<WebSocketServer> | undefined;
  return () => {
    server ??= loadWs().then(({ WebSocketServer }) => new WebSocketServer(options));
    return server;
  };
}
