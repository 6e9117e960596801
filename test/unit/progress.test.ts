import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PhasedProgress, throttleProgress, type ProgressUpdate } from '../../src/core/progress';

describe('PhasedProgress', () => {
  it('maps phases into one fraction by weight', () => {
    const seen: ProgressUpdate[] = [];
    const p = new PhasedProgress({ copy: 1, check: 1, store: 2 }, u => seen.push(u));
    p.report('copy', 0.5, 'a');
    p.report('check', 1, 'b');
    p.report('store', 0.5, 'c');
    assert.deepEqual(seen.map(u => u.fraction), [0.125, 0.5, 0.75]);
  });

  it('never runs backwards when a phase restarts or reports nonsense', () => {
    const seen: number[] = [];
    const p = new PhasedProgress({ copy: 1 }, u => seen.push(u.fraction));
    for (const f of [0.2, 0.6, 0.1, NaN, 0.7, -3, 2]) p.report('copy', f, '');
    assert.deepEqual(seen, [0.2, 0.6, 0.6, 0.6, 0.7, 0.7, 1]);
  });
});

describe('throttleProgress', () => {
  it('drops updates inside the interval but always passes the last one', () => {
    const seen: number[] = [];
    const listener = throttleProgress(u => seen.push(u.fraction), 60_000);
    for (let i = 1; i <= 10; i++) listener({ fraction: i / 10, message: '' });
    assert.deepEqual(seen, [0.1, 1]);
  });

  it('delivers an update it held back once the interval is over, so the message shown is the latest', async () => {
    const seen: string[] = [];
    const listener = throttleProgress(u => seen.push(u.message), 40);
    listener({ fraction: 0.1, message: 'Dumping small' });
    listener({ fraction: 0.2, message: 'Dumping big' });
    assert.deepEqual(seen, ['Dumping small']);
    await new Promise(resolve => setTimeout(resolve, 80));
    assert.deepEqual(seen, ['Dumping small', 'Dumping big']);
  });
});
