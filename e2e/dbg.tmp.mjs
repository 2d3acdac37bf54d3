import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './lib/chromium.mjs';
import { startServer } from './lib/server.mjs';
const server = await startServer({ root: 'public' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
page.on('console', (m) => console.log('console', m.type(), m.text()));
await page.goto(server.baseUrl + 'demos/slides/');
const slide = page.locator('section[data-demo-slide="cgroups"]');
for (let i = 0; i < 8 && !(await slide.evaluate((s) => s.classList.contains('present'))); i++) { await page.keyboard.press('ArrowRight'); }
console.log('hash', await page.evaluate(() => location.hash));
await page.waitForTimeout(2000);
console.log(await page.evaluate(() => [...document.querySelectorAll('ipvs-demo, cgroups-demo, namespaces-demo')].map(e => [e.tagName, e.dataset.state, e.held, !!e.pendingStart, e.started, e.closest('section').className])));
await browser.close(); await server.close();
