import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { nextVersion } from '../identity/version.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { chToIso } from '../storage/time.js';

/** Route parameters of `/…/{id}`. */
export const documentParams = z.object({ id: z.string().min(1).max(100) });

/** A stored definition (a segment or a computed trait). */
export interface StoredDocument<T> {
  id: string;
  name: string;
  description: string;
  body: T;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  doc_name: string;
  doc_description: string;
  doc_body: string;
  created: string;
  updated: string;
}

/**
 * Definitions as versioned JSON documents in a ReplacingMergeTree table
 * (`segments`, `computed_traits`): the newest version of an id wins, a
 * `deleted` version retires it. Read straight from ClickHouse on every
 * request, so every API process sees the same definitions and nothing is
 * cached.
 */
export class DocumentStore<T> {
  readonly #t: ClickHouseTransport;
  readonly #table: 'segments' | 'computed_traits';
  readonly #idPrefix: string;
  readonly #parse: (body: unknown) => T;
  readonly #label: string;

  constructor(options: {
    transport: ClickHouseTransport;
    table: 'segments' | 'computed_traits';
    idPrefix: string;
    /** What a document is called in a 404 message. */
    label: string;
    parse: (body: unknown) => T;
  }) {
    this.#t = options.transport;
    this.#table = options.table;
    this.#idPrefix = options.idPrefix;
    this.#label = options.label;
    this.#parse = options.parse;
  }

  async list(workspaceId: string): Promise<Array<StoredDocument<T>>> {
    return this.#read(workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<StoredDocument<T> | undefined> {
    const [doc] = await this.#read(workspaceId, id);
    return doc;
  }

  /** The document, or a 404 `not_found` naming it. */
  async require(workspaceId: string, id: string): Promise<StoredDocument<T>> {
    const doc = await this.get(workspaceId, id);
    if (doc === undefined) throw new ApiError('not_found', { message: `No ${this.#label} ${id}.`, path: 'id' });
    return doc;
  }

  async create(workspaceId: string, doc: { name: string; description: string; body: T }): Promise<StoredDocument<T>> {
    const now = new Date().toISOString();
    const stored = { id: `${this.#idPrefix}${randomBytes(12).toString('hex')}`, ...doc, createdAt: now, updatedAt: now };
    await this.#write(workspaceId, stored, 0);
    return stored;
  }

  async replace(workspaceId: string, previous: StoredDocument<T>, doc: { name: string; description: string; body: T }): Promise<StoredDocument<T>> {
    const stored = { ...previous, ...doc, updatedAt: new Date().toISOString() };
    await this.#write(workspaceId, stored, 0);
    return stored;
  }

  async delete(workspaceId: string, previous: StoredDocument<T>): Promise<void> {
    await this.#write(workspaceId, { ...previous, updatedAt: new Date().toISOString() }, 1);
  }

  async #read(workspaceId: string, id?: string): Promise<Array<StoredDocument<T>>> {
    // Aggregates are named apart from the columns: an alias equal to a column would shadow it.
    const rows = await this.#t.query<Row>(
      `SELECT id, argMax(name, version) AS doc_name, argMax(description, version) AS doc_description,
              argMax(body, version) AS doc_body, min(created_at) AS created, argMax(updated_at, version) AS updated
       FROM ${this.#table}
       WHERE workspace_id = {w:String}${id === undefined ? '' : ' AND id = {id:String}'}
       GROUP BY id HAVING argMax(deleted, version) = 0
       ORDER BY created, id`,
      id === undefined ? { w: workspaceId } : { w: workspaceId, id },
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.doc_name,
      description: r.doc_description,
      body: this.#parse(JSON.parse(r.doc_body) as unknown),
      createdAt: chToIso(r.created),
      updatedAt: chToIso(r.updated),
    }));
  }

  async #write(workspaceId: string, doc: StoredDocument<T>, deleted: 0 | 1): Promise<void> {
    await this.#t.insert({
      table: this.#table,
      rows: JSON.stringify({
        workspace_id: workspaceId,
        id: doc.id,
        name: doc.name,
        description: doc.description,
        body: JSON.stringify(doc.body),
        created_at: doc.createdAt,
        updated_at: doc.updatedAt,
        deleted,
        version: nextVersion(),
      }),
    });
  }
}
