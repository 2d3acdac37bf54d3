// The example reveal.js deck: one slide per demo, each a custom element from demos.js. Only
// the demo of the current slide runs; the others are paused.

import Reveal from '../vendor/reveal/reveal.esm.js';
import './demos.js';

const DEMOS = 'ipvs-demo, cgroups-demo, namespaces-demo';

function syncDemos(current) {
  for (const el of document.querySelectorAll(DEMOS)) {
    if (current && current.contains(el)) el.resume();
    else el.pause();
  }
}

const deck = new Reveal({ hash: true, width: 1280, height: 720, margin: 0.04, center: false, transition: 'none' });
deck.on('ready', (event) => syncDemos(event.currentSlide));
deck.on('slidechanged', (event) => syncDemos(event.currentSlide));
deck.initialize();
