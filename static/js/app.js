/* Behaviour shared by every page (loaded by base.html). No inline script anywhere:
   the Content-Security-Policy allows scripts from this site's files only
   (docs/security.md). Translated words come from this script tag's data-* attributes. */
(function () {
  var words = (document.currentScript && document.currentScript.dataset) || {};

  // A select with data-autosubmit sends its form when changed (the language menu).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Character count under long texts: "12 字", or "12 / 5000 字" when the text has a maximum.
  document.querySelectorAll("textarea[data-count]").forEach(function (area) {
    var out = document.createElement("div");
    out.className = "form-text text-end";
    out.setAttribute("data-testid", "count-" + area.name);
    area.insertAdjacentElement("afterend", out);
    var max = area.getAttribute("maxlength");
    var show = function () { out.textContent = area.value.length + (max ? " / " + max : "") + " " + (words.chars || ""); };
    area.addEventListener("input", show); show();
  });
})();
