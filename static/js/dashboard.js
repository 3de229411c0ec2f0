/* The supervision dashboard's trend charts (templates/workflow/dashboard.html).
   Data come from the JSON block #dashboard-charts (Django's json_script: data, never
   executed); each <div data-chart="<case type>"> gets one chart: the case count as bars,
   the rates as lines on a 0-100 % axis. The table beside each chart holds the same
   numbers (the accessible version). No inline script or style: the tooltip is drawn on
   the canvas (renderMode "richText"), not as HTML with style attributes. */
(function () {
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var instances = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var data = charts[el.dataset.chart];
    if (!data) { return; }
    var series = data.series.map(function (s) {
      var count = s.kind === "count";
      return {
        name: s.label, type: count ? "bar" : "line", yAxisIndex: count ? 0 : 1,
        data: s.values, connectNulls: true, smooth: false, barMaxWidth: 28,
        label: { show: false }
      };
    });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      color: ["#9b1c1c", "#0d6efd", "#198754", "#fd7e14"],
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 48, top: 36, bottom: 28, containLabel: true },
      xAxis: { type: "category", data: data.buckets },
      yAxis: [
        { type: "value", minInterval: 1 },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
      ],
      series: series
    });
    el.setAttribute("data-chart-ready", "1");
    instances.push(chart);
  });
  window.addEventListener("resize", function () { instances.forEach(function (c) { c.resize(); }); });
})();
