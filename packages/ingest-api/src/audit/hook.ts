import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from './log.js';

/** What a route knows for the audit entry of its request (anything not given is derived). */
export interface AuditNote {
  keyId?: string;
  workspaceId?: string;
  action?: string;
  target?: string;
  details?: Record<string, unknown>;
}

const notes = new WeakMap<FastifyRequest, AuditNote>();

/** Adds to the audit entry of this request (handlers of audited scopes call it). */
export function noteAudit(req: FastifyRequest, note: AuditNote): void {
  notes.set(req, { ...notes.get(req), ...note });
}

type Describe = (req: FastifyRequest, response: Record<string, unknown> | undefined) => AuditNote | Promise<AuditNote>;

export interface AuditHookOptions {
  audit: AuditLog;
  /** Who made an authenticated request; undefined = not authenticated (not audited: the request log has it). */
  who: (req: FastifyRequest, errorCode: string | undefined) => string | undefined;
  /** Action names and details per `METHOD /route/pattern`; other routes are recorded as `METHOD /route`. */
  actions: Readonly<Record<string, { action: string; describe?: Describe } | null>>;
}

/**
 * Records every request of the scope in the audit log once its answer is
 * known (outcome and status), before the answer leaves: when a client sees
 * the response, the entry exists. Routes mapped to `null` are not recorded
 * (status polling). Routes of other features added later are recorded under
 * their method and path, so nothing admin goes unaudited by omission.
 */
export function auditRequests(app: FastifyInstance, options: AuditHookOptions): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const route = req.routeOptions.url;
    if (route === undefined) return payload;
    const key = `${req.method} ${route}`;
    const known = options.actions[key];
    if (known === null) return payload;
    const status = reply.statusCode;
    const body = typeof payload === 'string' && payload.startsWith('{') ? safeParse(payload) : undefined;
    const errorCode = status >= 400 ? errorCodeOf(body) : undefined;
    const note = notes.get(req) ?? {};
    const keyId = note.keyId ?? options.who(req, errorCode);
    if (keyId === undefined) return payload;
    const described = known?.describe === undefined || status >= 400 ? {} : await known.describe(req, body);
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    await options.audit.append({
      workspaceId: note.workspaceId ?? described.workspaceId ?? params['id'] ?? '',
      keyId,
      action: note.action ?? known?.action ?? key,
      target: note.target ?? described.target ?? params['keyId'] ?? '',
      details: { ...described.details, ...note.details },
      outcome: status >= 400 ? 'error' : 'ok',
      status,
      errorCode: errorCode ?? '',
      requestId: req.id,
    });
    return payload;
  });
}

function safeParse(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function errorCodeOf(body: Record<string, unknown> | undefined): string {
  const error = body?.['error'];
  return error !== null && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
}
