/* django-celery-beat's periodic task form in the admin: the crontab's help says the
   chosen schedule in words (its template did this in an inline script). */
(function () {
  var $ = django.jQuery;
  var originalHelp = document.currentScript.getAttribute("data-crontab-help") || "";
  var readable = JSON.parse(document.getElementById("readable-crontabs").textContent || "{}");
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help").empty();
    help.append(document.createTextNode(originalHelp), $("<br>"), document.createTextNode("Translation: " + readable[$("#id_crontab").val()]));
  });
})();
