import { describe, expect, it } from 'vitest';
import { TransactionQueue } from './transaction-queue.js';

describe('TransactionQueue (bus arbiter)', () => {
  it('runs one transaction at a time and puts commands ahead of waiting polls', async () => {
    const q = new TransactionQueue();
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    const job = (name: string) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      order.push(name);
      await new Promise((r) => setImmediate(r));
      active--;
    };
    const all = [
      q.run('poll', job('p1')),
      q.run('poll', job('p2')),
      q.run('poll', job('p3')),
      q.run('command', job('c1')),
    ];
    await Promise.all(all);
    expect(maxActive).toBe(1);
    // p1 was already on the wire; c1 jumps the queue ahead of p2 and p3.
    expect(order).toEqual(['p1', 'c1', 'p2', 'p3']);
  });

  it('a failing transaction does not stall the queue', async () => {
    const q = new TransactionQueue();
    await expect(q.run('poll', () => Promise.reject(new Error('timeout')))).rejects.toThrow(
      'timeout',
    );
    await expect(q.run('poll', async () => 7)).resolves.toBe(7);
  });

  it('tryAcquire takes a free slot only when nobody waits, and release starts the next job', async () => {
    const q = new TransactionQueue();
    expect(q.tryAcquire()).toBe(true);
    expect(q.tryAcquire()).toBe(false); // the one slot is taken
    const order: string[] = [];
    const queued = q.run('poll', async () => {
      order.push('queued');
    });
    expect(q.depth).toBe(1);
    order.push('release');
    q.release();
    await queued;
    expect(order).toEqual(['release', 'queued']);
    expect(q.tryAcquire()).toBe(true);
    q.release();
    q.close();
    expect(q.tryAcquire()).toBe(false);
  });
});
