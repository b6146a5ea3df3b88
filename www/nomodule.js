// Runs only in browsers without ES modules (they are far too old for Sori): says so plainly.
(function () {
  var box = document.querySelector('[data-testid=error]');
  var text = box && box.querySelector('[data-role=error-text]');
  if (!box || !text) return;
  var ko = (navigator.language || '').toLowerCase().indexOf('ko') === 0;
  text.textContent = ko
    ? '이 브라우저는 너무 오래되어 소리를 실행할 수 없어요. 최신 Chrome, Edge, Firefox 또는 Safari 16.4 이상에서 열어 주세요.'
    : 'This browser is too old for Sori. Use a current Chrome, Edge, Firefox, or Safari 16.4 or newer.';
  box.removeAttribute('hidden');
  box.setAttribute('data-code', 'unsupported');
})();
