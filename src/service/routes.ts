/**
 * The service's HTTP API and the dashboard page. Every refusal is JSON
 * `{ error, status, field? }` and changes nothing.
 *
 *   GET    /                     the dashboard (no data in it; it reads /api/state)
 *   GET    /api/state            jobs, servers with slices and occupancy, tuning curves
 *   GET    /api/jobs             every job
 *   POST   /api/jobs             submit {model, share, trials, ...} -> 202 {id, status}
 *   GET    /api/jobs/:id         one job
 *   DELETE /api/jobs/:id         cancel
 *   GET    /api/jobs/:id/events  its events as Server-Sent Events, from the start
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderDashboardHtml } from '../report/dashboard.js';
import { checkBearer } from './auth.js';
import { HttpError } from './http-error.js';
import { type JobEvent, TERMINAL } from './job.js';
import type { JobManager } from './job-manager.js';
import { parseJobRequest } from './job-request.js';
import { openSse } from './sse.js';

const MAX_BODY_BYTES = 64 * 1024;

export function createHandler(manager: JobManager, token: string | undefined) {
  let dashboard: string | undefined;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://service');
      const method = request.method ?? 'GET';
      if (url.pathname === '/' || url.pathname === '/index.html') {
        allow(method, ['GET']);
        dashboard ??= renderDashboardHtml();
        send(response, 200, dashboard, 'text/html; charset=utf-8');
        return;
      }
      if (!url.pathname.startsWith('/api/')) throw new HttpError(404, `no page ${url.pathname}`);
      checkBearer(request, token);
      await route(manager, method, url.pathname, request, response);
    } catch (e) {
      const error =
        e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error).message}`);
      if (response.headersSent) response.end();
      else sendJson(response, error.status, error.toJSON());
    }
  };
}

async function route(
  manager: JobManager,
  method: string,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (path === '/api/state') {
    allow(method, ['GET']);
    return sendJson(response, 200, manager.state());
  }
  if (path === '/api/jobs') {
    allow(method, ['GET', 'POST']);
    if (method === 'GET') return sendJson(response, 200, { jobs: manager.list() });
    const job = manager.submit(parseJobRequest(await readJson(request)));
    return sendJson(response, 202, { id: job.id, status: job.status });
  }
  const match = /^\/api\/jobs\/([^/]+)(\/events)?$/.exec(path);
  if (!match?.[1]) throw new HttpError(404, `no API endpoint ${path}`);
  const id = decodeURIComponent(match[1]);
  if (match[2]) {
    allow(method, ['GET']);
    return streamEvents(manager, id, response);
  }
  allow(method, ['GET', 'DELETE']);
  const job = method === 'DELETE' ? manager.cancel(id) : manager.get(id);
  return sendJson(response, 200, manager.summary(job));
}

function streamEvents(manager: JobManager, id: string, response: ServerResponse): void {
  const job = manager.get(id);
  let unsubscribe: (() => void) | undefined;
  let ended = false;
  const stream = openSse(response, () => unsubscribe?.());
  unsubscribe = job.subscribe((event: JobEvent) => {
    if (ended) return;
    stream.send(event);
    if (event.type === 'status' && TERMINAL.includes(event.status)) {
      ended = true;
      stream.end();
    }
  });
  // The replay may already have ended the stream, before unsubscribe existed.
  if (ended) unsubscribe();
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'the request body is empty: send a JSON object');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, `method ${method} is not allowed here (allowed: ${methods.join(', ')})`);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

function send(response: ServerResponse, status: number, body: string, type: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
