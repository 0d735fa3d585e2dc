import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * TEST ONLY. Runs the real CLI (TypeScript sources through tsx) in a child
 * process, for tests that kill it (-9) or signal it.
 */
export interface ChildServer {
  url: string;
  process: ChildProcess;
  /** Everything the child wrote to stdout and stderr. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

/** Starts the CLI (or another TypeScript server `script` that prints "listening on <url>" to stderr). */
export async function startChildServer(env: Record<string, string>, script: string = CLI): Promise<ChildServer> {
  // The CLI's own Node flags (see its shebang), so tests and benchmarks run the server as deployed.
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--conditions=source', '--import', TSX, script], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child server did not start:\n${out}`)), 60_000);
    const onData = () => {
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    process: child,
    output: () => out,
    async kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}
