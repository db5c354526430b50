/* Console behaviour shared by every page. */
(function () {
  "use strict";
  // Refusals (403/404/422) come back as small Chinese alerts: show them in place instead of dropping them.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (status === 400 || status === 403 || status === 404 || status === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // <select data-autosubmit data-clears="other-field">: changing it submits its form, clearing a dependent field.
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (!(el instanceof HTMLSelectElement) || !el.hasAttribute("data-autosubmit") || !el.form) { return; }
    var dependent = el.dataset.clears ? el.form.elements.namedItem(el.dataset.clears) : null;
    if (dependent) { dependent.value = ""; }
    el.form.submit();
  });

  // <form data-confirm="question">: ask before submitting (withdrawing a role and the like).
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      evt.preventDefault();
    }
  });
})();
