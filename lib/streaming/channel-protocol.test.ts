import { expect } from 'chai';
import { CHANNEL_CLOSE, CHANNEL_STDOUT, decodeChannelMessage, encodeChannelMessage, exitCodeOfStatus, exitStatus, parseResize } from './channel-protocol';

describe('exec channel protocol (v4/v5.channel.k8s.io)', () => {
  it('a message is its channel byte then the payload', () => {
    const msg = encodeChannelMessage(CHANNEL_STDOUT, 'out');
    expect([...msg.subarray(0, 1)]).to.deep.equal([1]);
    expect(decodeChannelMessage(msg)).to.deep.equal({ channel: 1, data: Buffer.from('out') });
    expect(decodeChannelMessage(encodeChannelMessage(CHANNEL_CLOSE, Buffer.from([0])))).to.deep.equal({ channel: 255, data: Buffer.from([0]) });
    expect(decodeChannelMessage(Buffer.alloc(0))).to.equal(null);
  });

  it('resize messages carry Width and Height; anything else is ignored', () => {
    expect(parseResize(Buffer.from('{"Width":80,"Height":24}'))).to.deep.equal({ width: 80, height: 24 });
    expect(parseResize(Buffer.from('{"Width":"80"}'))).to.equal(null);
    expect(parseResize(Buffer.from('not json'))).to.equal(null);
  });

  it('the exit Status: Success for 0, NonZeroExitCode with an ExitCode cause otherwise, and back', () => {
    expect(exitStatus(0, ['ls'])).to.deep.equal({ metadata: {}, status: 'Success' });
    const failed = exitStatus(3, ['sh', '-c', 'exit 3']);
    expect(failed).to.deep.include({ status: 'Failure', reason: 'NonZeroExitCode' });
    expect(failed.details?.causes).to.deep.equal([{ reason: 'ExitCode', message: '3' }]);
    expect(failed.message).to.equal('command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
    expect(exitCodeOfStatus(failed)).to.equal(3);
    expect(exitCodeOfStatus({ status: 'Success' })).to.equal(0);
    expect(() => exitCodeOfStatus({ status: 'Failure', message: 'boom' })).to.throw('boom');
  });
});
