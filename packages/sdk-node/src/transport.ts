import http from 'node:http';
import https from 'node:https';
import { RequestTimeoutError } from './errors.js';

export interface HttpResponse {
  status: number;
  /** The `Retry-After` header, as sent. */
  retryAfter: string | undefined;
  /** The body as text, cut at MAX_RESPONSE_BYTES (only error and rejection details are read from it). */
  body: string;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * POSTs with node:http over keep-alive sockets, at most `maxSockets` at once, so a
 * burst reuses a few connections instead of opening thousands. Rejects with
 * RequestTimeoutError when the whole exchange takes longer than `timeoutMs`.
 */
export class Transport {
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;

  constructor(options: { endpoint: string; maxSockets: number }) {
    this.#url = new URL(options.endpoint);
    const secure = this.#url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, scheduling: 'lifo' as const };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
  }

  post(options: {
    headers: Record<string, string>;
    body: Buffer;
    timeoutMs: number;
    signal: AbortSignal;
  }): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = this.#request(this.#url, {
        method: 'POST',
        agent: this.#agent,
        headers: { ...options.headers, 'Content-Length': String(options.body.length) },
        signal: options.signal,
      });
      const timer = setTimeout(() => req.destroy(new RequestTimeoutError(options.timeoutMs)), options.timeoutMs);
      timer.unref();
      req.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.once('end', () => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      req.end(options.body);
    });
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  destroy(): void {
    this.#agent.destroy();
  }
}
