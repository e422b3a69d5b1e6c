import { expect } from 'chai';
import { COMPONENT_COMMANDS } from './main';

describe('bosun main', () => {
  it('names each lazily loaded component command as the command names itself', async () => {
    for (const [name, load] of COMPONENT_COMMANDS) expect((await load()).name()).to.equal(name);
  });
});
