import { sql, type Kysely } from 'kysely';

/** Catalogue, staff, live sessions, showcase, counters, room events and orders. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('brands')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('operator_zh', 'text', (c) => c.notNull())
    .addColumn('operator_en', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text', (c) => c.notNull())
    .addColumn('contact_phone', 'text', (c) => c.notNull())
    .addColumn('merchant_licence', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('description_zh', 'text', (c) => c.notNull())
    .addColumn('description_en', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('price_fen', 'bigint', (c) => c.notNull().check(sql`price_fen >= 0`))
    .addColumn('list_price_fen', 'bigint', (c) => c.notNull().check(sql`list_price_fen >= 0`))
    .addColumn('stock', 'bigint', (c) => c.notNull().check(sql`stock >= 0`))
    .addColumn('age_min_months', 'integer', (c) => c.notNull())
    .addColumn('age_max_months', 'integer', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('image_url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('products_brand_sku', ['brand_id', 'sku'])
    .execute();
  await db.schema.createIndex('products_brand_category').on('products').columns(['brand_id', 'category', 'sku']).execute();
  // Listings are keyset-paged by SKU, with or without a brand, reading only id, stock and version
  // (the rest comes from a row cache): covering indexes answer them without touching the table.
  await db.schema.createIndex('products_listing').on('products').columns(['sku', 'id', 'stock', 'updated_at']).execute();
  await db.schema.createIndex('products_brand_listing').on('products').columns(['brand_id', 'sku', 'id', 'stock', 'updated_at']).execute();

  await db.schema
    .createTable('faqs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id'))
    .addColumn('product_id', 'text', (c) => c.references('products.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('question_zh', 'text', (c) => c.notNull())
    .addColumn('answer_zh', 'text', (c) => c.notNull())
    .addColumn('question_en', 'text', (c) => c.notNull())
    .addColumn('answer_en', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('faqs_product').on('faqs').columns(['product_id', 'position']).execute();

  await db.schema
    .createTable('staff_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('staff_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('live_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id'))
    .addColumn('title_zh', 'text', (c) => c.notNull())
    .addColumn('title_en', 'text', (c) => c.notNull())
    .addColumn('host_user_id', 'text', (c) => c.references('staff_users.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('hls_url', 'text')
    .addColumn('poster_url', 'text')
    .addColumn('scheduled_at', 'bigint')
    .addColumn('started_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('session_products')
    .addColumn('session_id', 'text', (c) => c.notNull().references('live_sessions.id').onDelete('cascade'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sold_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pinned_at', 'bigint')
    .addPrimaryKeyConstraint('session_products_pk', ['session_id', 'product_id'])
    .execute();

  await db.schema
    .createTable('flash_sales')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('live_sessions.id').onDelete('cascade'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('price_fen', 'bigint', (c) => c.notNull())
    .addColumn('previous_price_fen', 'bigint', (c) => c.notNull())
    .addColumn('quantity', 'bigint', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('sold', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`sold >= 0`))
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('end_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('flash_sales_sold_le_quantity', sql`sold <= quantity`)
    .execute();
  await db.schema.createIndex('flash_sales_session').on('flash_sales').columns(['session_id', 'ended_at']).execute();

  await db.schema
    .createTable('session_counters')
    .addColumn('session_id', 'text', (c) => c.primaryKey().references('live_sessions.id').onDelete('cascade'))
    .addColumn('likes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('add_to_cart', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('orders', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('units_sold', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  // Anonymous room events: no viewer identity is stored here. The key de-duplicates client retries.
  await db.schema
    .createTable('room_events')
    .addColumn('session_id', 'text', (c) => c.notNull().references('live_sessions.id').onDelete('cascade'))
    .addColumn('client_event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('room_events_pk', ['session_id', 'client_event_id'])
    .execute();

  // Commerce records (LC2): kept apart from any profiling data.
  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('live_sessions.id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('client_order_id', 'text', (c) => c.notNull())
    .addColumn('quantity', 'bigint', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price_fen', 'bigint', (c) => c.notNull())
    .addColumn('flash_sale_id', 'text', (c) => c.references('flash_sales.id'))
    .addColumn('replay_offset_ms', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('orders_client_id', ['session_id', 'client_order_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'orders',
    'room_events',
    'session_counters',
    'flash_sales',
    'session_products',
    'live_sessions',
    'staff_sessions',
    'staff_users',
    'faqs',
    'products',
    'brands',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
