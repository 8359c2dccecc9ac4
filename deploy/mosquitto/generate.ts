/**
 * Writes the Mosquitto ACL from the MQTT policy (central/src/broker/policy.ts):
 *
 *   npm run mosquitto:acl                       # deploy/mosquitto/gridlink.acl from principals.json
 *   npm run mosquitto:acl -- --principals p.json --out /etc/mosquitto/gridlink.acl
 *   npm run mosquitto:acl -- --check            # exit 1 when the committed file is stale
 *
 * The principals file names the centrals' users and share group, and the stored credentials:
 * `{"services": [...], "shareGroup": "gridlink", "credentials": [{"kind": "car", "name": "ABC1D23"}]}`
 * (the `items` of GET /api/v1/mqtt/credentials fit `credentials` as they are). Edges need no
 * entry: `pattern` lines cover every edge. docs/SCALE-OUT.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type MosquittoAclInput, renderMosquittoAcl } from '@gridlink/central/mqtt-policy';
import { z } from 'zod';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
/** The committed input and output. */
export const defaultPrincipalsPath = here('./principals.json');
export const defaultAclPath = here('./gridlink.acl');

const principalsSchema = z
  .object({
    services: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)),
    shareGroup: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
    credentials: z.array(
      z.object({ kind: z.enum(['car', 'station', 'operator', 'peer']), name: z.string() }).loose(),
    ),
  })
  .strict();

/** The ACL text for a principals file. */
export function aclFor(principalsPath: string): string {
  const parsed = principalsSchema.parse(JSON.parse(readFileSync(principalsPath, 'utf8')));
  const input: MosquittoAclInput = {
    services: parsed.services,
    shareGroup: parsed.shareGroup,
    credentials: parsed.credentials.map(({ kind, name }) => ({ kind, name })),
  };
  return renderMosquittoAcl(input);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      principals: { type: 'string', default: defaultPrincipalsPath },
      out: { type: 'string', default: defaultAclPath },
      check: { type: 'boolean', default: false },
    },
  });
  const acl = aclFor(values.principals);
  if (values.check) {
    const current = readFileSync(values.out, 'utf8');
    if (current !== acl) {
      console.error(`${values.out} differs from the policy's ACL: run npm run mosquitto:acl`);
      process.exit(1);
    }
  } else {
    writeFileSync(values.out, acl);
    console.log(`wrote ${values.out}`);
  }
}
