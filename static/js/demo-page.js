// A demo's own page and its embed page: the options come from the URL
// (`?scenario=…&step=…&speed=…&autoplay=true`), validated by the loader; a bad value is shown
// as a message in the page, never interpreted as markup.

import { mountDemo } from './demos.js';

const params = new URLSearchParams(window.location.search);
for (const root of document.querySelectorAll('[data-demo-page]')) {
  const raw = {
    scenario: params.get('scenario') ?? undefined,
    step: params.get('step') ?? undefined,
    speed: params.get('speed') ?? undefined,
    autoplay: params.get('autoplay') ?? undefined,
  };
  mountDemo(root, root.dataset.demoPage, raw, { embed: root.dataset.embed === 'true' });
}
