// `npm start` runs this first: builds the web portal when web/dist is missing
// (a fresh clone where `npm install` ran without its prepare step, or a deleted build).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../web/dist/index.html', import.meta.url))) {
  console.log('Building the web portal (web/dist is missing)…');
  const r = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    stdio: 'inherit',
    // A NODE_ENV left over from elsewhere (test, development) would bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  process.exit(r.status ?? 1);
}
