/* The public complaint form (/complaint/). Server data comes from the page: the
   categories' descriptions from json_script (#category-descriptions), the
   similar-complaints address and the messages from this script tag's data-* attributes. */
(function () {
  var config = document.currentScript.dataset;
  var form = document.getElementById("complaint-form");
  if (!form) { return; }
  var alertBox = document.getElementById("form-alert");
  if (alertBox) { alertBox.focus(); }

  // The chosen category's extra questions only; the others are hidden and not sent.
  var select = document.getElementById("id_category");
  var descriptionsData = document.getElementById("category-descriptions");
  var descriptions = JSON.parse((descriptionsData && descriptionsData.textContent) || "{}");
  var describe = document.getElementById("category-description");
  function showQuestions() {
    var chosen = select.value;
    document.querySelectorAll(".question-group").forEach(function (group) {
      var on = group.getAttribute("data-category") === chosen;
      group.hidden = !on;
      group.disabled = !on;
    });
    document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    describe.textContent = descriptions[chosen] || "";
  }
  select.addEventListener("change", showQuestions);
  showQuestions();

  // Similar open complaints at the same place, while typing (posted: the text stays out of URLs).
  var box = document.getElementById("similar");
  var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var timer = null, last = "";
  function askSimilar() {
    var data = new FormData();
    ["title", "description", "hall", "address"].forEach(function (name) { data.append(name, form.elements[name].value); });
    var key = Array.from(data.values()).join("\u0001");
    if (key === last) { return; }
    last = key;
    fetch(config.similarUrl, {method: "POST", body: data, headers: {"X-CSRFToken": token}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {});
  }
  ["title", "description", "hall", "address"].forEach(function (name) {
    form.elements[name].addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(askSimilar, 800); });
  });

  // The map point from the device (no map tiles: the network may be offline).
  var locate = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (navigator.geolocation) {
    locate.classList.remove("d-none");
    locate.addEventListener("click", function () {
      status.textContent = config.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.latitude.value = pos.coords.latitude.toFixed(6);
        form.elements.longitude.value = pos.coords.longitude.toFixed(6);
        status.textContent = config.located;
      }, function () {
        status.textContent = config.locationFailed;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }
})();
