import { expect } from 'chai';
import { DESCRIBE_TABWRITER, GET_TABWRITER, tabwrite } from './tabwriter';

describe('printers/tabwriter', () => {
  it('pads columns to the widest cell plus padding; the last cell is not padded', () => {
    const out = tabwrite('NAME\tREADY\tSTATUS\nweb-1\t1/1\tRunning\nlonger-name\t0/1\tPending\n', GET_TABWRITER);
    expect(out).to.equal(
      'NAME          READY   STATUS\n' +
      'web-1         1/1     Running\n' +
      'longer-name   0/1     Pending\n',
    );
  });

  it('honours the minimum width', () => {
    expect(tabwrite('A\tB\nx\ty\n', GET_TABWRITER)).to.equal('A     B\nx     y\n');
  });

  it('a line without tabs ends column blocks', () => {
    const out = tabwrite('Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n', DESCRIBE_TABWRITER);
    expect(out).to.equal(
      'Name:       web\n' +
      'Namespace:  default\n' +
      'IPs:\n' +
      '  IP:           10.0.0.1\n' +
      'Controlled By:  ReplicaSet/web\n',
    );
  });

  it('nested blocks: a column only spans lines that have it', () => {
    const out = tabwrite('a\tb\tc\naaaa\tb\nx\tyyyy\tz\n', { minWidth: 0, padding: 1 });
    expect(out).to.equal('a    b c\naaaa b\nx    yyyy z\n');
  });

  it('counts code points, not UTF-16 units', () => {
    expect(tabwrite('é\tx\nab\ty\n', { minWidth: 0, padding: 1 })).to.equal('é  x\nab y\n');
  });
});
