/**
 * The service from the other side: `slicetune tune --server URL` submits a job and follows its
 * events. Refusals come back as SlicetuneErrors carrying the service's own message.
 */
import { SlicetuneError } from '../util/errors.js';
import type { JobEvent, JobStatus, JobSummary } from './job.js';

export interface ClientOptions {
  token?: string;
  signal?: AbortSignal;
}

/** POST /api/jobs; resolves with the new job's id. `body` is checked by the service, not here. */
export async function submitJob(
  url: string,
  body: Record<string, unknown>,
  token?: string,
): Promise<{ id: string; status: JobStatus }> {
  const response = await call(url, '/api/jobs', { method: 'POST', body: JSON.stringify(body) }, { token });
  return (await response.json()) as { id: string; status: JobStatus };
}

export async function getJob(url: string, id: string, token?: string): Promise<JobSummary> {
  const response = await call(url, `/api/jobs/${encodeURIComponent(id)}`, {}, { token });
  return (await response.json()) as JobSummary;
}

export async function cancelJob(url: string, id: string, token?: string): Promise<JobSummary> {
  const response = await call(url, `/api/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }, { token });
  return (await response.json()) as JobSummary;
}

/**
 * Follows a job's Server-Sent Events (replayed from its start) until it ends; resolves with the
 * final status. A stream that closes before the job ends is an error.
 */
export async function followJob(
  url: string,
  id: string,
  onEvent: (event: JobEvent) => void,
  options: ClientOptions = {},
): Promise<{ status: JobStatus; error?: string }> {
  const path = `/api/jobs/${encodeURIComponent(id)}/events`;
  const response = await call(url, path, { headers: { accept: 'text/event-stream' } }, options);
  if (!response.body) throw new SlicetuneError('INTERNAL', `${url}${path} sent no event stream`);
  let final: { status: JobStatus; error?: string } | undefined;
  for await (const data of sseData(response.body)) {
    const event = JSON.parse(data) as JobEvent;
    onEvent(event);
    if (event.type === 'status' && ['finished', 'failed', 'cancelled'].includes(event.status)) {
      final =
        event.error === undefined ? { status: event.status } : { status: event.status, error: event.error };
    }
  }
  if (!final)
    throw new SlicetuneError(
      'INTERNAL',
      `the event stream of job ${id} at ${url} closed before the job ended`,
    );
  return final;
}

/** The `data:` payloads of an SSE byte stream, one string per event. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
      if (data.length > 0) yield data.join('\n');
      end = buffer.indexOf('\n\n');
    }
  }
}

async function call(url: string, path: string, init: RequestInit, options: ClientOptions): Promise<Response> {
  const target = new URL(path, url);
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(target, { ...init, headers, signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new SlicetuneError('NOT_FOUND', `cannot reach the slicetune service at ${url} (${cause})`, {
      cause: e,
    });
  }
  if (response.ok) return response;
  const text = await response.text();
  let message = text;
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    // not JSON: the raw text is the message
  }
  throw new SlicetuneError(
    response.status === 404 ? 'NOT_FOUND' : response.status >= 500 ? 'INTERNAL' : 'BAD_OPTION',
    `the slicetune service at ${url} refused ${init.method ?? 'GET'} ${path} (${response.status}): ${message}`,
  );
}
