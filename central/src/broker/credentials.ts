import type { Kysely } from 'kysely';
import { hashSecret, newSecret, verifySecret } from '../auth/index.js';
import type { Schema } from '../storage/index.js';
import { type CredentialKind, usernameOf } from './principals.js';

export interface MqttCredentialView {
  kind: CredentialKind;
  name: string;
  /** What the client sends as its MQTT username: `{kind}@{name}`. */
  username: string;
  createdAt: Date;
  rotatedAt: Date;
}

/**
 * Creates the credential of `kind`/`name`, or rotates its secret. The secret is returned once
 * and stored hashed; the name must be valid for the kind (principals.ts `nameProblem`).
 */
export async function upsertMqttCredential(
  db: Kysely<Schema>,
  kind: CredentialKind,
  name: string,
  at: Date,
): Promise<{ username: string; secret: string; created: boolean }> {
  const secret = newSecret();
  const row = await db
    .insertInto('mqtt_credentials')
    .values({ kind, name, secret_hash: hashSecret(secret), created_at: at, rotated_at: at })
    .onConflict((oc) =>
      oc.columns(['kind', 'name']).doUpdateSet({ secret_hash: hashSecret(secret), rotated_at: at }),
    )
    .returning('created_at')
    .executeTakeFirstOrThrow();
  return {
    username: usernameOf(kind, name),
    secret,
    created: new Date(row.created_at).getTime() === at.getTime(),
  };
}

/** Every stored credential, by kind and name; never a secret or its hash. */
export async function listMqttCredentials(db: Kysely<Schema>): Promise<MqttCredentialView[]> {
  const rows = await db
    .selectFrom('mqtt_credentials')
    .select(['kind', 'name', 'created_at', 'rotated_at'])
    .orderBy('kind')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    kind: r.kind as CredentialKind,
    name: r.name,
    username: usernameOf(r.kind as CredentialKind, r.name),
    createdAt: new Date(r.created_at),
    rotatedAt: new Date(r.rotated_at),
  }));
}

/** Deletes a credential; false when there was none. Its next CONNECT is refused. */
export async function revokeMqttCredential(
  db: Kysely<Schema>,
  kind: CredentialKind,
  name: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('mqtt_credentials')
    .where('kind', '=', kind)
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function verifyMqttCredential(
  db: Kysely<Schema>,
  kind: CredentialKind,
  name: string,
  secret: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('mqtt_credentials')
    .select('secret_hash')
    .where('kind', '=', kind)
    .where('name', '=', name)
    .executeTakeFirst();
  return row !== undefined && verifySecret(secret, row.secret_hash);
}
