import { expect } from 'chai';
import { ApiError } from '../api/errors';
import type { KubeObject } from '../api/object';
import type { ApiWatchEvent, WatchRequest } from '../api/requests';
import type { ClientWatch, ResourceClient } from './api-client';
import { resumingWatch } from './resuming-watch';

/** A resource whose n-th watch plays script[n]: events, then an optional error. */
function scripted(script: { events: ApiWatchEvent<KubeObject>[]; error?: ApiError }[]): { rc: ResourceClient; opened: WatchRequest[] } {
  const opened: WatchRequest[] = [];
  const rc = {
    watch(_ns: string | undefined, opts: WatchRequest = {}): ClientWatch<KubeObject> {
      const step = script[opened.length] ?? { events: [] };
      opened.push(opts);
      return {
        stop() {},
        async *[Symbol.asyncIterator]() {
          for (const e of step.events) yield e;
          if (step.error) throw step.error;
        },
      };
    },
  } as unknown as ResourceClient;
  return { rc, opened };
}

const cm = (name: string, rv: string): KubeObject => ({ metadata: { name, resourceVersion: rv } });

describe('resumingWatch (get -w across an apiserver restart)', function () {
  this.timeout(10_000);

  it('reopens a broken watch from the last resourceVersion (bookmarks count) and loses nothing', async () => {
    const { rc, opened } = scripted([
      { events: [{ type: 'ADDED', object: cm('a', '10') }, { type: 'BOOKMARK', object: cm('', '12') }], error: new ApiError(503, 'ServiceUnavailable', 'Connection dropped') },
      { events: [{ type: 'MODIFIED', object: cm('a', '13') }] },
    ]);
    const seen: string[] = [];
    for await (const e of resumingWatch(rc, 'default', { resourceVersion: '5' })) seen.push(`${e.type} ${e.object.metadata.resourceVersion}`);
    expect(seen).to.deep.equal(['ADDED 10', 'MODIFIED 13']);
    expect(opened.map((o) => o.resourceVersion)).to.deep.equal(['5', '12']);
  });

  it('ends with an error the server meant (410 Gone)', async () => {
    const { rc } = scripted([{ events: [], error: new ApiError(410, 'Gone', 'too old resource version') }]);
    let caught: unknown;
    try {
      for await (const _e of resumingWatch(rc, 'default', { resourceVersion: '1' })) void _e;
    } catch (err) {
      caught = err;
    }
    expect((caught as ApiError).code).to.equal(410);
  });
});
