/* Progressive disclosure for the forms of every case type (proposal review, assign, decisions;
   complaint actions, triage, intake): a form's data-disclose maps a field (data-field) or a group
   (data-group) to "input=value|value"; only the fields of the chosen branch show. Without
   JavaScript every field shows and the server reads only the chosen ones. */
(function () {
  function current(form, name) {
    var els = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "radio") { if (el.checked) { return el.value; } }
      else if (el.type === "checkbox") { if (el.checked) { return "on"; } }
      else { return el.value; }
    }
    return "";
  }
  function update(form, rules) {
    Object.keys(rules).forEach(function (target) {
      var cond = rules[target].split("="), wanted = cond[1].split("|");
      var show = wanted.indexOf(current(form, cond[0])) !== -1;
      form.querySelectorAll('[data-field="' + target + '"], [data-group="' + target + '"]').forEach(function (el) { el.hidden = !show; });
    });
  }
  document.querySelectorAll("form[data-disclose]").forEach(function (form) {
    var raw = form.getAttribute("data-disclose");
    if (!raw || !raw.trim()) { return; }
    var rules = JSON.parse(raw);
    form.addEventListener("change", function () { update(form, rules); });
    update(form, rules);
  });
})();
