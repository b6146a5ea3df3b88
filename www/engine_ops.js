// The teaching calls the analysis worker passes straight to its Sori object (docs/teach-api.md): one list for
// both sides, www/engine.js (which gives the Engine a method for each) and www/engine_worker.js (which answers them).

export const TEACH_OPS = [
  'cutExamples',
  'slugFor',
  'checkExample',
  'discardExample',
  'clearPending',
  'setBackground',
  'clearBackground',
  'learn',
  'taught',
  'taughtCount',
  'exampleAudio',
  'removeExample',
  'renameClass',
  'removeClass',
  'resetTaught',
  'packBytes',
  'loadPack',
];
