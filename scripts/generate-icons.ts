/**
 * The portal's app icons (PWA manifest, home screen) as PNG, rendered from
 * web/public/icon.svg by Debian's Chromium, so there is one drawing to change:
 *
 *   npx tsx scripts/generate-icons.ts
 *
 * Writes web/public/icon-192.png, icon-512.png and icon-maskable-512.png (the
 * drawing inside the 80 % safe zone on a full-bleed background, for launchers
 * that cut icons into circles or squircles).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const PUBLIC = resolve(import.meta.dirname, '../web/public');
const svg = readFileSync(join(PUBLIC, 'icon.svg'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.NIMBUS_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const render = async (size: number, file: string, maskable: boolean) => {
    await page.setViewportSize({ width: size, height: size });
    const inner = maskable ? size * 0.8 : size;
    const background = maskable ? '#1c7ed6' : 'transparent';
    await page.setContent(
      `<html><body style="margin:0;width:${size}px;height:${size}px;display:grid;place-items:center;background:${background}">
        <div style="width:${inner}px;height:${inner}px">${svg.replace('<svg ', '<svg width="100%" height="100%" ')}</div>
      </body></html>`,
    );
    await page.screenshot({ path: join(PUBLIC, file), omitBackground: !maskable });
    console.log(`wrote web/public/${file}`);
  };
  await render(192, 'icon-192.png', false);
  await render(512, 'icon-512.png', false);
  await render(512, 'icon-maskable-512.png', true);
} finally {
  await browser.close();
}
