import { gunzipSync } from 'node:zlib';
import { edgeTopic, seededRandom } from '@gridlink/shared';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  BYTE_MUTATIONS,
  CLIENT_PACKETS,
  caseRng,
  caseSeed,
  encodePacket,
  framedLines,
  HTTP_CLASSES,
  httpCase,
  JSON_MUTATIONS,
  type MeterIdentities,
  type MqttIdentities,
  mqttScript,
  mutateBytes,
  mutateJson,
  operationsOf,
  Rng,
  SERVER_PACKETS,
  scriptPackets,
  TCP_LINE_CLASSES,
  TELEMETRY_CLASSES,
  tcpConnectionCase,
  telemetryCase,
  UDP_CLASSES,
  udpCase,
} from '../fuzz/index.js';

/**
 * The fuzz suite's generators are pure: a case is a function of (seed, index) alone, so a
 * failure's seed and index replay it. Each produces every class it claims, in a few thousand
 * draws, and never changes its input.
 */
const IDS: MqttIdentities = {
  fuzzEdge: { edgeId: 'fz-1', secret: 'fuzz-secret' },
  victimEdgeId: 'good-1',
};
const METERS: MeterIdentities = {
  udp: { open: 'fz-u', guarded: { meterId: 'fz-us', cpf: '52998224725', secret: 's'.repeat(20) } },
  tcp: { open: 2, guarded: { meterId: 3, secret: 's'.repeat(20) } },
  victims: { udp: 'GOOD-U', tcp: 1 },
};
const NOW = Date.parse('2026-06-01T12:00:00Z');

/** The bytes of `n` cases of `gen`, twice from the same seed: equal; from another seed: not. */
function expectDeterministic(gen: (rng: Rng, index: number) => unknown, n = 200): void {
  const run = (seed: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify(gen(caseRng(seed, i), i)));
  const a = run(7);
  expect(run(7)).toEqual(a);
  expect(run(8)).not.toEqual(a);
  // A case is the same whether or not the cases before it ran.
  expect(JSON.stringify(gen(caseRng(7, n - 1), n - 1))).toBe(a[n - 1]);
}

const counts = <T extends string>(xs: Iterable<T>) => {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
};

describe('fuzz rng', () => {
  it('derives a distinct, stable seed per case', () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => caseSeed(1, i)));
    expect(seeds.size).toBe(10_000);
    expect(caseSeed(1, 5)).toBe(caseSeed(1, 5));
    expect(caseSeed(1, 5)).not.toBe(caseSeed(2, 5));
    // The project's PRNG underneath.
    expect(new Rng(42).float()).toBe(seededRandom(42)());
  });

  it('weighted and size stay in range', () => {
    const rng = new Rng(3);
    const picks = counts(
      Array.from({ length: 2000 }, () =>
        rng.weighted([
          ['a', 1],
          ['b', 3],
        ] as const),
      ),
    );
    expect(picks.b).toBeGreaterThan(picks.a as number);
    for (let i = 0; i < 1000; i++) expect(rng.size(512)).toBeLessThanOrEqual(512);
  });
});

describe('MQTT packet generator', () => {
  it('is deterministic per case', () => {
    expectDeterministic((rng) =>
      scriptPackets(mqttScript(rng, IDS)).map((p) => p.bytes.toString('hex')),
    );
  });

  it('encodes valid packets of every type, which mqtt-packet parses back', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const script = mqttScript(caseRng(1, i), IDS);
      for (const p of scriptPackets(script)) {
        if (p.mutation || p.label === 'random') continue;
        seen.add(p.label);
        const parser = mqttPacket.parser({ protocolVersion: p.label === 'auth' ? 5 : 4 });
        const parsed: Packet[] = [];
        parser.on('packet', (x: Packet) => parsed.push(x));
        parser.on('error', (e: Error) => {
          // A CONNECT at protocol level 3 or 5 is not a level-4 packet: parse it at its level.
          if (p.label !== 'connect') throw e;
        });
        parser.parse(p.bytes);
        if (p.label !== 'connect') expect(parsed.map((x) => x.cmd)).toEqual([p.label]);
      }
    }
    expect([...seen].sort()).toEqual([...CLIENT_PACKETS, ...SERVER_PACKETS].sort());
  });

  it('damages packets in every way, and sessions end with the sentinel SUBSCRIBE', () => {
    const scripts = Array.from({ length: 800 }, (_, i) => mqttScript(caseRng(2, i), IDS));
    const damage = counts(
      scripts.flatMap((s) => scriptPackets(s).flatMap((p) => (p.mutation ? [p.mutation] : []))),
    );
    for (const m of BYTE_MUTATIONS) expect([m, damage[m] ?? 0]).not.toEqual([m, 0]);
    expect(counts(scripts.map((s) => s.profile))).toMatchObject({
      session: expect.any(Number),
      handshake: expect.any(Number),
      garbage: expect.any(Number),
    });
    for (const s of scripts.filter((x) => x.profile === 'session')) {
      const last = mqttPacket.parser();
      const got: Packet[] = [];
      last.on('packet', (x: Packet) => got.push(x));
      last.parse(s.sentinel?.bytes as Buffer);
      expect(got[0]).toMatchObject({ cmd: 'subscribe', messageId: 65535 });
    }
  });

  it('never publishes a payload that is a valid telemetry batch', () => {
    const telemetry = edgeTopic('fz-1', 'telemetry');
    for (let i = 0; i < 200; i++)
      for (const p of scriptPackets(mqttScript(caseRng(3, i), IDS))) {
        if (p.mutation || p.label !== 'publish') continue;
        const parser = mqttPacket.parser();
        parser.on('packet', (x: Packet) => {
          if (x.cmd !== 'publish' || x.topic !== telemetry) return;
          const text = Buffer.from(x.payload).toString('utf8');
          expect(/"readings":\[\{"seq"/.test(text)).toBe(false);
        });
        parser.parse(p.bytes);
      }
  });

  it('mutateBytes leaves its input alone and lies about lengths', () => {
    const packet = encodePacket({
      cmd: 'publish',
      topic: 'a/b',
      payload: 'hello',
      qos: 0,
      dup: false,
      retain: false,
    });
    const copy = Buffer.from(packet);
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++) mutateBytes(rng, packet, copy);
    expect(packet).toEqual(copy);
    const lie = mutateBytes(new Rng(9), packet, copy, 'lengthLie').bytes;
    expect(lie[0]).toBe(packet[0]);
    expect(lie.subarray(1).equals(packet.subarray(1))).toBe(false);
  });

  it('encodePacket throws what mqtt-packet refuses (instead of an unheard error event)', () => {
    expect(() =>
      encodePacket({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: '' }),
    ).toThrow(/clientId/);
  });
});

describe('JSON mutations', () => {
  const batch = {
    edgeId: 'e1',
    epoch: 'epoch-0001',
    readings: [{ seq: 1, deviceId: 'm1', ts: 1, quality: 'good', values: { a: 1.5 } }],
  };

  it('is deterministic, applies every class, and leaves its input alone', () => {
    expectDeterministic((rng) => mutateJson(rng, batch));
    const before = JSON.stringify(batch);
    const kinds = counts(
      Array.from({ length: 2000 }, (_, i) => mutateJson(caseRng(4, i), batch).kinds).flat(),
    );
    for (const k of JSON_MUTATIONS) expect([k, kinds[k] ?? 0]).not.toEqual([k, 0]);
    expect(JSON.stringify(batch)).toBe(before);
  });

  it('writes what JSON.stringify cannot: NaN, duplicate keys, an own __proto__, depth', () => {
    const texts = Array.from({ length: 3000 }, (_, i) => mutateJson(caseRng(5, i), batch).text);
    expect(texts.some((t) => /:(-?NaN|-?Infinity|nan|inf)\b/.test(t))).toBe(true);
    expect(texts.some((t) => /"(\w+)":[^,]*,"\1":/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes('"__proto__":'))).toBe(true);
    expect(texts.some((t) => t.includes('[[[[[[[[[[[[[[[[[[[['))).toBe(true);
  });
});

describe('telemetry cases', () => {
  const ctx = (index: number) => ({ edgeId: 'fz', epoch: 'fuzz-epoch-0001', index, nowMs: NOW });

  it('is deterministic and produces every class', () => {
    expectDeterministic((rng, i) => telemetryCase(rng, ctx(i)).payload.toString('base64'));
    const kinds = counts(
      Array.from({ length: 3000 }, (_, i) => telemetryCase(caseRng(6, i), ctx(i)).kind),
    );
    for (const k of TELEMETRY_CLASSES) expect([k, kinds[k] ?? 0]).not.toEqual([k, 0]);
  });

  it('a valid case is a batch starting at index × 20 + 1 with its gap declared dropped', () => {
    for (let i = 0; i < 500; i++) {
      const c = telemetryCase(caseRng(7, i), ctx(i));
      if (c.kind !== 'valid') continue;
      const b = JSON.parse(c.payload.toString('utf8'));
      expect(b).toMatchObject({ firstSeq: i * 20 + 1, droppedUpTo: i * 20 });
    }
    const bomb = [...Array(3000).keys()]
      .map((i) => telemetryCase(caseRng(6, i), ctx(i)))
      .find((c) => c.kind === 'gzipBomb');
    expect(gunzipSync(bomb?.payload as Buffer).length).toBe(16 * 1024 * 1024);
  });
});

describe('meter cases', () => {
  it('UDP: deterministic, every class, never past the largest datagram', () => {
    expectDeterministic((rng) => udpCase(rng, METERS, NOW).datagram.toString('base64'));
    const cases = Array.from({ length: 3000 }, (_, i) => udpCase(caseRng(8, i), METERS, NOW));
    const kinds = counts(cases.map((c) => c.kind));
    for (const k of UDP_CLASSES) expect([k, kinds[k] ?? 0]).not.toEqual([k, 0]);
    expect(Math.max(...cases.map((c) => c.datagram.length))).toBeLessThanOrEqual(65_507);
  });

  it('TCP: deterministic, every class, squatted connections', () => {
    expectDeterministic((rng) =>
      tcpConnectionCase(rng, METERS, NOW).lines.map((l) => l.bytes.toString('base64')),
    );
    const cases = Array.from({ length: 1000 }, (_, i) =>
      tcpConnectionCase(caseRng(9, i), METERS, NOW),
    );
    const kinds = counts(cases.flatMap((c) => c.lines.map((l) => l.kind)));
    for (const k of TCP_LINE_CLASSES) expect([k, kinds[k] ?? 0]).not.toEqual([k, 0]);
    expect(cases.some((c) => c.squatted)).toBe(true);
  });

  it('framedLines counts lines as the listener frames them', () => {
    expect(framedLines(Buffer.from('a\nb\r\n\n \t\r\nc'))).toBe(2); // `c` has no newline yet
    expect(framedLines(Buffer.from('\r\n'))).toBe(0);
  });
});

describe('HTTP cases', () => {
  const doc = {
    paths: {
      '/api/v1/things/{id}': {
        get: {
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: { '200': {}, '400': {}, '404': {} },
        },
        patch: {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          responses: { '200': {}, '400': {} },
        },
      },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 10 }, kind: { enum: ['a', 'b'] } },
          required: ['name'],
        },
      },
    },
  };
  const ids = { customerId: 1, meterId: 2, edgeId: 'e-1' };

  it('walks every operation, resolving $refs', () => {
    const ops = operationsOf(doc);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual([
      'GET /api/v1/things/{id}',
      'PATCH /api/v1/things/{id}',
    ]);
    expect(ops[1]?.body?.properties?.name).toEqual({ type: 'string', maxLength: 10 });
  });

  it('is deterministic and produces every class', () => {
    const ops = operationsOf(doc);
    expectDeterministic((rng) => httpCase(rng, ops, ids, NOW));
    const cases = Array.from({ length: 3000 }, (_, i) => httpCase(caseRng(10, i), ops, ids, NOW));
    const kinds = counts(cases.map((c) => c.kind));
    for (const k of HTTP_CLASSES) expect([k, kinds[k] ?? 0]).not.toEqual([k, 0]);
    // Valid cases are valid: the path is filled, the body has its required key.
    for (const c of cases.filter((x) => x.kind === 'valid')) {
      expect(c.url).toMatch(/^\/api\/v1\/things\/\d+/);
      if (c.body !== undefined) expect(JSON.parse(c.body)).toHaveProperty('name');
    }
  });
});
