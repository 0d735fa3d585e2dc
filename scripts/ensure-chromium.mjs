// The browser end-to-end tests drive Debian's Chromium through playwright-core
// (playwright's own browser download does not work on these machines). On a
// fresh Debian machine this installs it; elsewhere it says what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);
const canApt = existsSync('/usr/bin/apt-get') && typeof process.getuid === 'function' && process.getuid() === 0;
if (!canApt) {
  console.error(`No Chromium at ${path}. Install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH.`);
  process.exit(1);
}
console.error('Installing Debian chromium for the browser tests (apt-get)...');
execFileSync('apt-get', ['update'], { stdio: 'inherit' });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
