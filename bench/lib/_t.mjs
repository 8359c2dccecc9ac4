import { PGlite } from '@electric-sql/pglite';

const db = await PGlite.create();
console.log('b');
try {
  await db.exec(
    `CREATE TABLE r (stream_id int not null, seq bigint not null, "values" jsonb not null, primary key (stream_id, seq)); CREATE INDEX ON r (stream_id);`,
  );
} catch (e) {
  console.log('err', e.message);
}
console.log('c');
