import { describe, expect, it } from 'vitest';
import {
  ACCESS,
  type Action,
  actions,
  can,
  customerIdOf,
  type Grant,
  grantOf,
  ownerFilter,
  type Principal,
  type Resource,
  type Role,
  resources,
  roles,
} from '../src/access/index.js';

/**
 * The access table, cell by cell: A = all, O = own (only what the principal owns), - = none.
 * Columns: read list create update delete act. Changing one cell of ACCESS fails this test.
 */
const EXPECTED = `
customer        admin     A A A A - -
customer        operator  A A A A - -
customer        customer  O O - - - -
customer        driver    - - - - - -
customer        service   - - - - - -
customer        peer      - - - - - -
meter           admin     A A - A - -
meter           operator  A A - A - -
meter           customer  O O - - - -
meter           driver    - - - - - -
meter           service   - - - - - -
meter           peer      - - - - - -
invoice         admin     A A A - - -
invoice         operator  A A - - - -
invoice         customer  O O - - - -
invoice         driver    - - - - - -
invoice         service   - - - - - -
invoice         peer      - - - - - -
alarm           admin     A A - A - A
alarm           operator  A A - A - A
alarm           customer  O O - - - O
alarm           driver    - - - - - -
alarm           service   - - - - - -
alarm           peer      - - - - - -
edge            admin     A A A - - -
edge            operator  A A - - - -
edge            customer  - - - - - -
edge            driver    - - - - - -
edge            service   - - - - - -
edge            peer      - - - - - -
device-command  admin     A A A - - -
device-command  operator  A A A - - -
device-command  customer  - - - - - -
device-command  driver    - - - - - -
device-command  service   - - - - - -
device-command  peer      - - - - - -
desired-config  admin     A - - A - -
desired-config  operator  A - - A - -
desired-config  customer  - - - - - -
desired-config  driver    - - - - - -
desired-config  service   - - - - - -
desired-config  peer      - - - - - -
token           admin     A A A - A -
token           operator  - - - - - -
token           customer  O O - - O -
token           driver    - - - - - -
token           service   - - - - - -
token           peer      - - - - - -
mqtt-credential admin     A A A - A -
mqtt-credential operator  - - - - - -
mqtt-credential customer  - - - - - -
mqtt-credential driver    - - - - - -
mqtt-credential service   - - - - - -
mqtt-credential peer      - - - - - -
quarantine      admin     A A - - - -
quarantine      operator  A A - - - -
quarantine      customer  - - - - - -
quarantine      driver    - - - - - -
quarantine      service   - - - - - -
quarantine      peer      - - - - - -
webhook         admin     A A A - A -
webhook         operator  A A A - A -
webhook         customer  - - - - - -
webhook         driver    - - - - - -
webhook         service   - - - - - -
webhook         peer      - - - - - -
station         admin     A A A A A -
station         operator  A A A A - -
station         customer  - - - - - -
station         driver    A A - - - -
station         service   - - - - - -
station         peer      - - - - - -
car             admin     A A A A A A
car             operator  A A A A A A
car             customer  - - - - - -
car             driver    O O O O O O
car             service   - - - - - -
car             peer      - - - - - -
driver          admin     A A A A - -
driver          operator  A A A A - -
driver          customer  - - - - - -
driver          driver    O - - O - -
driver          service   - - - - - -
driver          peer      - - - - - -
reservation     admin     A A A A - A
reservation     operator  A A A A - A
reservation     customer  - - - - - -
reservation     driver    O O O O - O
reservation     service   - - - - - -
reservation     peer      - - - - - -
charging-session admin     A A A - - A
charging-session operator  A A A - - A
charging-session customer  - - - - - -
charging-session driver    O O O - - O
charging-session service   - - - - - -
charging-session peer      - - - - - -
trip            admin     A A A - A -
trip            operator  A A A - A -
trip            customer  - - - - - -
trip            driver    O O O - O -
trip            service   - - - - - -
trip            peer      - - - - - -
federation      admin     A A - - - -
federation      operator  A A - - - -
federation      customer  - - - - - -
federation      driver    - - - - - -
federation      service   - - - - - -
federation      peer      O O O - - O
self            admin     - - - - O -
self            operator  - - - - O -
self            customer  - - - O O -
self            driver    - - - - O -
self            service   - - - - O -
self            peer      - - - - - -
`;

const LETTER: Record<string, Grant> = { A: 'all', O: 'own', '-': 'none' };

function parse(text: string): Map<string, Grant> {
  const cells = new Map<string, Grant>();
  for (const line of text.trim().split('\n')) {
    const [resource, role, ...grants] = line.trim().split(/\s+/);
    expect(grants, line).toHaveLength(actions.length);
    actions.forEach((action, i) => {
      const g = LETTER[grants[i] as string];
      if (!g) throw new Error(`bad cell ${grants[i]} in ${line}`);
      cells.set(`${resource} ${role} ${action}`, g);
    });
  }
  return cells;
}

const expected = parse(EXPECTED);
const cells = resources.flatMap((resource) =>
  roles.flatMap((role) => actions.map((action) => ({ resource, role, action }))),
);

describe('access table: role × resource × action', () => {
  it('covers every resource, role and action, and nothing else', () => {
    expect(Object.keys(ACCESS).sort()).toEqual([...resources].sort());
    for (const r of resources) expect(Object.keys(ACCESS[r]).sort()).toEqual([...roles].sort());
    expect(expected.size).toBe(resources.length * roles.length * actions.length);
    expect(new Set(cells.map((c) => `${c.resource} ${c.role} ${c.action}`))).toEqual(
      new Set(expected.keys()),
    );
  });

  it.each(cells)('$resource · $role · $action', ({ resource, role, action }) => {
    const want = expected.get(`${resource} ${role} ${action}`);
    expect(grantOf(role, resource, action)).toBe(want);
    expect(can({ role }, resource, action)).toBe(want !== 'none');
  });

  it('is frozen: a grant cannot be changed at run time', () => {
    expect(Object.isFrozen(ACCESS)).toBe(true);
    expect(Object.isFrozen(ACCESS.meter.customer)).toBe(true);
    expect(() => {
      (ACCESS.meter.customer as Record<Action, Grant>).read = 'all';
    }).toThrow(TypeError);
  });
});

const who = (role: Role, subject: string | null = null): Principal => ({
  role,
  subject,
  tokenId: '0000000000000000',
});

describe('customerIdOf: the customer a principal acts for', () => {
  it.each([
    ['7', 7],
    ['123456789012345', 123456789012345],
  ])('customer %s → %s', (subject, id) => {
    expect(customerIdOf(who('customer', subject))).toBe(id);
  });

  it.each([
    'abc',
    '',
    '0',
    '-3',
    '1.5',
    '1e3',
    '007',
    ' 7',
    'NaN',
    '9007199254740993',
    '99999999999999999',
  ])('customer subject %j acts for nobody (never NaN)', (subject) => {
    expect(customerIdOf(who('customer', subject))).toBeUndefined();
  });

  it('staff, services, drivers and peers act for no customer', () => {
    for (const role of roles.filter((r) => r !== 'customer'))
      expect(customerIdOf(who(role, '7'))).toBeUndefined();
    expect(customerIdOf(who('customer', null))).toBeUndefined();
  });
});

describe('ownerFilter: the scope every store applies', () => {
  const ownedResources: Resource[] = ['customer', 'meter', 'invoice', 'alarm', 'token'];

  it('staff see all of what they may read; others none', () => {
    for (const r of ownedResources) {
      expect(ownerFilter(who('admin'), r)).toEqual({ kind: 'all' });
      expect(ownerFilter(who('driver', 'd1'), r)).toEqual({ kind: 'none' });
      expect(ownerFilter(who('service'), r)).toEqual({ kind: 'none' });
      expect(ownerFilter(who('peer'), r)).toEqual({ kind: 'none' });
    }
    expect(ownerFilter(who('operator'), 'token')).toEqual({ kind: 'none' });
  });

  it('a customer sees its own, by its id; a bad subject sees nothing', () => {
    for (const r of ownedResources) {
      expect(ownerFilter(who('customer', '7'), r)).toEqual({ kind: 'customer', customerId: 7 });
      expect(ownerFilter(who('customer', 'x7'), r)).toEqual({ kind: 'none' });
    }
  });

  it('follows the action: a customer acknowledges its alarm, does not clear it', () => {
    expect(ownerFilter(who('customer', '7'), 'alarm', 'act')).toEqual({
      kind: 'customer',
      customerId: 7,
    });
    expect(ownerFilter(who('customer', '7'), 'alarm', 'update')).toEqual({ kind: 'none' });
    expect(ownerFilter(who('operator'), 'alarm', 'update')).toEqual({ kind: 'all' });
  });
});
