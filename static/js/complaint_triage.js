/* Triage page: a "merge into this one" button next to a possible duplicate chooses
   the merge outcome and fills in its number (without JavaScript the buttons stay hidden). */
(function () {
  var form = document.querySelector('[data-testid="triage-form"]');
  if (!form) { return; }
  document.querySelectorAll("[data-merge-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var merge = form.querySelector('input[name="outcome"][value="merge"]');
      merge.checked = true;
      form.querySelector('[name="target"]').value = button.getAttribute("data-merge-target");
      form.dispatchEvent(new Event("change"));
      form.querySelector('[name="target"]').focus();
    });
  });
})();
