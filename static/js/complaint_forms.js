/* Complaint staff forms (detail page actions, triage, intake): the reply's live preview.
   Their progressive disclosure is static/js/disclose.js, shared with the proposal forms. */
(function () {
  /* Live preview of a reply: textareas with data-preview write into [data-preview-target] of the same
     action card (the preview sits after the form, in its card: complaints/action_reply.html). */
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var card = area.closest("section") || area.closest("form");
    var out = card && card.querySelector('[data-preview-target="' + area.getAttribute("data-preview") + '"]');
    if (!out) { return; }
    var show = function () { out.textContent = area.value; };
    area.addEventListener("input", show); show();
  });
})();
