import { expect } from 'chai';
import { ImageRefError, normalizeImageRef } from './image-ref';

describe('image references', () => {
  it('canonicalises Docker Hub names and default tags', () => {
    expect(normalizeImageRef('busybox')).to.equal('busybox:latest');
    expect(normalizeImageRef('busybox:1.36')).to.equal('busybox:1.36');
    expect(normalizeImageRef('docker.io/library/busybox:1.36')).to.equal('busybox:1.36');
    expect(normalizeImageRef('library/busybox')).to.equal('busybox:latest');
    expect(normalizeImageRef('registry.local:5000/team/app')).to.equal('registry.local:5000/team/app:latest');
    const digest = `app@sha256:${'a'.repeat(64)}`;
    expect(normalizeImageRef(digest)).to.equal(digest);
  });

  it('refuses malformed references naming the part', () => {
    expect(() => normalizeImageRef('')).to.throw(ImageRefError, 'empty');
    expect(() => normalizeImageRef('BusyBox')).to.throw(ImageRefError, 'malformed name "BusyBox"');
    expect(() => normalizeImageRef('busybox:bad tag')).to.throw(ImageRefError, 'malformed tag');
    expect(() => normalizeImageRef('app@sha256:xyz')).to.throw(ImageRefError, 'malformed digest');
  });
});
