// The dev server's client, injected into HTML responses by `generator serve` only (never
// written to the output). It listens to /__dev/events: `reload` reloads the page, and
// `build-error` shows the build's diagnostics over the last good page until the next build.
(() => {
  const generation = document.currentScript?.dataset.generation ?? '0';
  const events = new EventSource(`/__dev/events?since=${encodeURIComponent(generation)}`);
  let overlay = null;

  events.addEventListener('reload', () => location.reload());
  events.addEventListener('build-error', (event) => {
    overlay?.remove();
    overlay = document.createElement('div');
    overlay.id = 'dev-error-overlay';
    overlay.setAttribute('role', 'alertdialog');
    overlay.setAttribute('aria-label', 'Build failed');
    overlay.style.cssText =
      'position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;' +
      'background:rgba(20,0,0,.88);color:#fff;font:14px/1.5 ui-monospace,monospace';
    const title = document.createElement('h2');
    title.textContent = 'Build failed: still serving the last good build';
    title.style.cssText = 'margin:0 0 1rem;font:bold 18px system-ui,sans-serif;color:#ff8a80';
    const text = document.createElement('pre');
    text.textContent = event.data;
    text.style.cssText = 'margin:0;white-space:pre-wrap';
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Dismiss';
    close.style.cssText = 'margin-top:1.5rem;font:inherit;padding:.3rem .8rem';
    close.addEventListener('click', () => overlay.remove());
    overlay.append(title, text, close);
    document.body.append(overlay);
  });
})();
