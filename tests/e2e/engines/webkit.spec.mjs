// WebKit (WebKitGTK's MiniBrowser, the engine of Safari, via WebKitWebDriver): the shared engine
// checks (suite.mjs). Needs an X display:
//
//   cd tests/e2e && xvfb-run -a node --test --test-concurrency=1 engines/webkit.spec.mjs
//
// The mic check there also covers what only WebKit showed: it fires `devicechange` while
// getUserMedia is still opening, which started a second open that cancelled the first (the page
// stayed on "Starting the microphone…" for ever); www/audio.js now ignores it while opening.
// Not covered in WebKit: the microphone refused (MiniBrowser's automation mode has no permission
// setting for it), Ogg files (WebKit does not reliably decode Vorbis; the page's message for a file it
// cannot decode is the corrupt-file check).

import { engineSuite } from './suite.mjs';

engineSuite('webkit');
