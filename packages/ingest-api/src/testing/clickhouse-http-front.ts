import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'chdb';
import { bindable } from '../storage/chdb-transport.js';

/**
 * TEST ONLY. A minimal ClickHouse HTTP interface on top of the embedded
 * engine, so the `@clickhouse/client` transport runs unchanged against a real
 * engine on machines where no ClickHouse server with query parameters can be
 * installed. Supports what the client sends: the statement in the `query`
 * URL parameter or the body, `param_*` bound parameters, settings as URL
 * parameters, `database`, `INSERT ... FORMAT` with the data in the body, and
 * a trailing `FORMAT` choosing the output format. Errors come back as
 * ClickHouse renders them (status 500, `Code: N. DB::Exception: ...`).
 */
export interface ClickHouseHttpFront {
  url: string;
  close(): Promise<void>;
}

const RESERVED = new Set(['query', 'database', 'query_id', 'session_id', 'session_timeout', 'session_check', 'default_format', 'user', 'password', 'wait_end_of_query', 'compress', 'decompress']);
// Settings that are meaningful per insert; everything else becomes session-level SET.
const INSERT_ONLY = new Set(['insert_deduplication_token']);
const INSERT_RE = /^\s*INSERT\s+INTO\s+([`"\w.]+)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(\w+)\s*$/i;
const PARAM_RE = /\{(\w+):([^}]+)\}/g;
const STRING_TYPE = /^(?:LowCardinality\()?(?:Nullable\()?(?:String|FixedString\(\d+\))\)?\)?$/;
const FORMAT_RE = /\s+FORMAT\s+(\w+)\s*;?\s*$/i;

/** HTTP parameter values are in ClickHouse's Escaped (TabSeparated) format. */
function unescapeTsv(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => TSV_ESCAPES[c] ?? c);
}
const TSV_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };

/** Parses a ClickHouse quoted literal of arrays, strings, numbers and NULL. */
function parseLiteral(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (text[i] === ' ') i++;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '[') {
      i++;
      const items: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return items;
        } else throw new Error(`bad array literal: ${text}`);
      }
    }
    if (c === "'") {
      i++;
      let out = '';
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\') {
          i++;
          const e = text[i] ?? '';
          out += TSV_ESCAPES[e] ?? e;
        } else out += text[i];
        i++;
      }
      i++;
      return out;
    }
    const m = /^(NULL|-?[\d.eE+-]+|TRUE|FALSE)/i.exec(text.slice(i));
    if (m?.[1] === undefined) throw new Error(`bad literal: ${text}`);
    i += m[1].length;
    const word = m[1].toUpperCase();
    return word === 'NULL' ? null : word === 'TRUE' ? true : word === 'FALSE' ? false : Number(m[1]);
  };
  return value();
}

export async function startClickHouseHttpFront(options: {
  path: string;
  port?: number;
  /**
   * Fault injection: an INSERT into a table for which this returns true is
   * neither run nor answered (the request stays open), as if the client's
   * process died just before it.
   */
  holdInsert?: (table: string) => boolean;
}): Promise<ClickHouseHttpFront> {
  const sessions = new Map<string, Promise<Session>>();
  const sessionFor = (database: string, settings: Array<[string, string]>): Promise<Session> => {
    const key = JSON.stringify([database, settings]);
    let s = sessions.get(key);
    if (s === undefined) {
      s = (async () => {
        const session = new Session(options.path);
        if (database !== '') {
          await session.queryAsync(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '')}\``);
          await session.queryAsync(`USE \`${database.replace(/`/g, '')}\``);
        }
        // readonly must come last: once set, no other setting can change.
        const ordered = [...settings.filter(([k]) => k !== 'readonly'), ...settings.filter(([k]) => k === 'readonly')];
        for (const [k, v] of ordered) await session.queryAsync(`SET ${k} = ${/^-?\d+(\.\d+)?$/.test(v) ? v : `'${v.replace(/'/g, "\\'")}'`}`);
        return session;
      })();
      sessions.set(key, s);
    }
    return s;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/ping') {
      res.end('Ok.\n');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const database = url.searchParams.get('database') ?? '';
    const params: Record<string, unknown> = {};
    const settings: Array<[string, string]> = [];
    const insertSettings: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params[k.slice(6)] = v;
      else if (INSERT_ONLY.has(k)) insertSettings[k] = v;
      else if (!RESERVED.has(k)) settings.push([k, v]);
    }
    settings.sort(([a], [b]) => a.localeCompare(b));
    const urlQuery = url.searchParams.get('query');
    const statement = urlQuery ?? body.toString('utf8');
    const session = await sessionFor(database, settings);
    const insert = urlQuery !== null ? INSERT_RE.exec(statement) : null;
    if (insert !== null) {
      const [, quoted = '', columns, format = ''] = insert;
      const table = quoted.replace(/[`"]/g, '');
      if (options.holdInsert?.(table) === true) return;
      await session.insert({
        table,
        values: body,
        format: format as 'JSONEachRow',
        ...(columns === undefined ? {} : { columns: columns.split(',').map((c) => c.trim()) }),
        settings: insertSettings,
      });
      res.setHeader('X-ClickHouse-Summary', '{}');
      res.end('');
      return;
    }
    const fmt = FORMAT_RE.exec(statement);
    const sql = fmt === null ? statement : statement.slice(0, fmt.index);
    // The server parses each parameter with its type's Escaped-format reader.
    // chdb's binding takes JS values and escapes them itself, so hand it the
    // decoded value: unescaped strings, and arrays parsed from their literal.
    for (const [, name = '', type = ''] of sql.matchAll(PARAM_RE)) {
      const value = params[name];
      if (typeof value !== 'string') continue;
      if (STRING_TYPE.test(type.trim())) params[name] = unescapeTsv(value);
      else if (type.trim().startsWith('Array(')) params[name] = parseLiteral(value);
    }
    const result = await session.queryBindAsync(sql, bindable(params), { format: fmt?.[1] ?? 'TabSeparated' });
    res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
    res.setHeader('X-ClickHouse-Summary', '{}');
    res.end(Buffer.from(result.bytes()));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err as { message?: string; clickhouseCode?: number };
      const message = e.message ?? String(err);
      const code = e.clickhouseCode ?? Number(/Code: (\d+)/.exec(message)?.[1] ?? 1000);
      res.statusCode = 500;
      res.setHeader('X-ClickHouse-Exception-Code', String(code));
      res.end(message.startsWith('Code:') ? message : `Code: ${code}. DB::Exception: ${message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions.values()) (await s).close();
    },
  };
}
