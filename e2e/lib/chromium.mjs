// The flags every headless Chromium of this project starts with: Debian's browser on a closed
// network (no background connections, no updates), run as root (no sandbox).

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
