import * as NEW from '../../src/index.js';
import * as OLD from './old/index.js';
const uuid = () => 'xxxxxxxx-xxxx-4xxx-axxx-xxxxxxxxxxxx'.replace(/x/g, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]!);
const cases: Record<string, [string, string[]]> = {
  'anonymous_id lower': ['anonymous_id', Array.from({ length: 1000 }, uuid)],
  'anonymous_id upper': ['anonymous_id', Array.from({ length: 1000 }, () => uuid().toUpperCase())],
  'email': ['email', Array.from({ length: 1000 }, (_, i) => `someone.${i}@example.org`)],
  'user_id': ['user_id', Array.from({ length: 1000 }, (_, i) => `user-${i}`)],
};
const libs = { old: OLD as unknown as typeof NEW, new: NEW };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
for (const [name, [type, raw]] of Object.entries(cases)) {
  const values = JSON.parse(JSON.stringify(raw)) as string[];
  const out: string[] = [];
  for (const [lib, L] of Object.entries(libs)) {
    const config = L.resolveIdentityConfig();
    const res: number[] = [];
    for (let r = 0; r < 15; r++) {
      const s = cpu(); let c = 0;
      for (let k = 0; k < 300; k++) for (const v of values) if (L.normalizeIdentifier(type, v, config).ok) c++;
      res.push((cpu() - s) * 1e6 / (300 * values.length));
    }
    out.push(`${lib} ${res.sort((a, b) => a - b)[7]!.toFixed(0)} ns`);
  }
  console.log(name.padEnd(20), out.join('  '));
}
