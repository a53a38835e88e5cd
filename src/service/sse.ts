/**
 * Server-Sent Events: one `data:` line of JSON per event. A comment every 15 s keeps proxies
 * from closing a quiet stream while a long batch is measured.
 */
import type { ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

export interface SseStream {
  send(event: unknown): void;
  end(): void;
}

export function openSse(response: ServerResponse, onClose: () => void): SseStream {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  response.write(': slicetune events\n\n');
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    onClose();
  };
  response.on('close', close);
  return {
    send(event) {
      if (open) response.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    end() {
      close();
      response.end();
    },
  };
}
