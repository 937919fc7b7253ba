/**
 * A hot read compiled once: the query is built with Kysely (so it is right for the dialect), its SQL
 * text kept, and every later call only binds new values (SQLite's statement cache then skips the
 * prepare too). For the reads made on nearly every request (consent, profile, tags).
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export class PreparedQuery<Row> {
  /** Per database handle: dialects (and a PostgreSQL schema) change the SQL text. */
  readonly #sql = new WeakMap<Kysely<Database>, string>();

  /** `build` receives the values as placeholders' samples; it must use each value exactly once, in order. */
  constructor(private readonly build: (db: Kysely<Database>, values: readonly unknown[]) => Compilable<Row>) {}

  async rows(db: Kysely<Database>, values: readonly unknown[]): Promise<Row[]> {
    let sql = this.#sql.get(db);
    if (sql === undefined) {
      const compiled = this.build(db, values).compile();
      if (compiled.parameters.length !== values.length || compiled.parameters.some((p, i) => p !== values[i])) {
        throw new Error('a prepared query must bind exactly its values, in order');
      }
      sql = compiled.sql;
      this.#sql.set(db, sql);
    }
    return (await db.executeQuery<Row>(CompiledQuery.raw(sql, [...values]))).rows;
  }
}
