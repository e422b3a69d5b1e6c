/**
 * Test support: a busybox image on the engine without a registry. Uses the project's rootfs
 * tarball under `.data/images/` when scripts/images has built one; otherwise builds a rootfs
 * tarball from Debian's busybox-static package (`apt-get download`, `dpkg -x`, one symlink per
 * applet), cached in the temp directory, and imports it with importRootfsImage.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { importRootfsImage, imageStatus } from '../docker-images';

const execFileP = promisify(execFile);

/** The image tests run; kept on the engine between runs (importing it again is idempotent). */
export const TEST_BUSYBOX_IMAGE = 'bosun-test/busybox:1.35';
const CACHED_TARBALL = path.join(os.tmpdir(), 'bosun-docker-test-busybox-rootfs.tar');
/** Bounds the package download and the tarball build, ms. */
const BUILD_TIMEOUT_MS = 120_000;

function projectTarball(): string | null {
  const dir = path.join(process.cwd(), '.data', 'images');
  try {
    const hit = fs.readdirSync(dir).find((f) => /^busybox.*\.tar(\.gz)?$/.test(f));
    return hit ? path.join(dir, hit) : null;
  } catch {
    return null;
  }
}

const BUILD_SCRIPT = `
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download busybox-static >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download busybox-static >/dev/null; }
dpkg -x busybox-static_*.deb pkg
mkdir -p root/bin root/etc root/tmp root/root root/proc root/sys root/dev root/www
cp pkg/bin/busybox root/bin/busybox
for a in $(pkg/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "root/bin/$a"; done
chmod 1777 root/tmp
printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\\n' > root/etc/passwd
printf 'root:x:0:\\nnogroup:x:65534:\\n' > root/etc/group
tar --numeric-owner --owner=0 --group=0 -C root -cf "$1.part" .
mv "$1.part" "$1"
`;

/** Makes TEST_BUSYBOX_IMAGE present and returns its reference. */
export async function ensureTestBusybox(docker: Dockerode): Promise<string> {
  if (await imageStatus(docker, TEST_BUSYBOX_IMAGE)) return TEST_BUSYBOX_IMAGE;
  let tarball = projectTarball();
  if (!tarball) {
    if (!fs.existsSync(CACHED_TARBALL)) {
      await execFileP('bash', ['-c', BUILD_SCRIPT, 'build-busybox', CACHED_TARBALL], { timeout: BUILD_TIMEOUT_MS });
    }
    tarball = CACHED_TARBALL;
  }
  await importRootfsImage(docker, tarball, TEST_BUSYBOX_IMAGE, ['CMD ["sh"]', 'ENV PATH=/bin']);
  return TEST_BUSYBOX_IMAGE;
}
