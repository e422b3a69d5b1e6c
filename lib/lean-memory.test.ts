import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LEAN_MALLOC_ENV, limitHeapGrowth, withLeanMalloc } from './lean-memory';

describe('lean memory settings', () => {
  it('adds the malloc tunables to an environment, leaving any the caller set', () => {
    const env = withLeanMalloc({ PATH: '/bin', MALLOC_ARENA_MAX: '4' });
    expect(env.PATH).to.equal('/bin');
    expect(env.MALLOC_ARENA_MAX).to.equal('4');
    expect(env.MALLOC_MMAP_THRESHOLD_).to.equal(LEAN_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
    expect(env.MALLOC_TRIM_THRESHOLD_).to.equal(LEAN_MALLOC_ENV.MALLOC_TRIM_THRESHOLD_);
  });

  it('gives the image the same tunables as the launcher', () => {
    const dockerfile = fs.readFileSync(path.join(__dirname, '..', '..', 'Dockerfile'), 'utf8');
    for (const [name, value] of Object.entries(LEAN_MALLOC_ENV)) expect(dockerfile).to.match(new RegExp(`^ENV .*\\b${name}=${value}\\b`, 'm'));
  });

  it('refuses a heap growing percent that is not a positive integer', () => {
    expect(() => limitHeapGrowth(0)).to.throw(/positive integer, got 0/);
    expect(() => limitHeapGrowth(2.5)).to.throw(/got 2.5/);
  });
});
