/**
 * Who may use the service. On a loopback address only this machine reaches it, and a token is
 * optional; anywhere else anyone who reaches the port could run jobs on the GPU, so the service
 * refuses to start without a token. With a token, every /api request carries it as a Bearer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { SlicetuneError } from '../util/errors.js';
import { HttpError } from './http-error.js';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (bare.startsWith('::ffff:')) return bare.slice(7).startsWith('127.');
  return false;
}

/** Throws unless the host is loopback or a token is set. */
export function checkListenAllowed(host: string, token: string | undefined): void {
  if (token !== undefined && token.trim() === '') {
    throw new SlicetuneError('BAD_OPTION', '--token must not be empty');
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `refusing to listen on ${host} without a token: anyone who reaches it could run jobs on this GPU. ` +
        'Pass --token T (clients then send "Authorization: Bearer T"), or listen on 127.0.0.1',
    );
  }
}

/** Throws HttpError 401 unless the request carries the token (compared in constant time). */
export function checkBearer(request: IncomingMessage, token: string | undefined): void {
  if (token === undefined) return;
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new HttpError(401, 'this service needs a token: send the header "Authorization: Bearer <token>"');
  }
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match?.[1] || !sameSecret(match[1], token)) {
    throw new HttpError(401, "the token in the Authorization header is not this service's token");
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the length.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
