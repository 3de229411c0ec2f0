/* Intake page: show only the chosen category's questions (without JavaScript all
   show; the server asks only the chosen category's). */
(function () {
  var form = document.querySelector('[data-testid="intake-form"]');
  if (!form) { return; }
  var select = form.querySelector('[name="category"]');
  function update() {
    var chosen = select.value;
    form.querySelectorAll("[data-question]").forEach(function (box) {
      var input = box.querySelector("[data-categories]");
      var asked = (input.getAttribute("data-categories") || "").split(" ");
      var required = (input.getAttribute("data-required-in") || "").split(" ");
      box.hidden = asked.indexOf(chosen) === -1;
      input.required = required.indexOf(chosen) !== -1;
    });
    form.querySelectorAll("[data-no-js-hint]").forEach(function (el) { el.hidden = true; });
    var box = form.querySelector('[data-testid="questions"]');
    if (box) { box.hidden = !box.querySelector("[data-question]:not([hidden])"); }
  }
  select.addEventListener("change", update);
  update();
})();
