import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The page loads the built SDK (dist/cdp.global.js): build it once before the end-to-end tests. */
export default function setup(): void {
  const dir = fileURLToPath(new URL('../../../packages/sdk-web', import.meta.url));
  execFileSync('pnpm', ['exec', 'tsup'], { cwd: dir, stdio: 'ignore' });
}
