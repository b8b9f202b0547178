/* Draws the dashboard's charts from the figures the page carries as JSON (no inline script:
   the console's Content-Security-Policy allows only its own files). Money arrives in
   millionths; every chart's figures are also in the table under it. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) { return; }
  var figures = JSON.parse(source.textContent);
  var palette = ["#0b5cad", "#b42318", "#1a7f37", "#b35c00", "#6e40c9", "#4a5360"];
  var money = function (unit) { return unit !== "calls" && unit !== "minutes"; };

  function draw(name, kind, options) {
    var canvas = document.getElementById("chart-" + name);
    var chart = figures[name];
    if (!canvas || !chart) { return; }
    var datasets = chart.series.map(function (series, i) {
      return {
        label: series.name + (money(series.unit) ? " (" + series.unit + ")" : ""),
        data: series.data.map(function (v) { return v === null ? null : (money(series.unit) ? v / 1e6 : v); }),
        backgroundColor: palette[i % palette.length],
        borderColor: palette[i % palette.length],
        stack: options.stacked ? "all" : undefined
      };
    });
    new window.Chart(canvas, {
      type: kind,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        indexAxis: options.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: !!options.stacked }, y: { stacked: !!options.stacked, beginAtZero: true } }
      }
    });
  }

  draw("calls", "bar", { stacked: true });
  draw("minutes", "bar", {});
  draw("spend", "line", {});
  draw("extensions", "bar", { horizontal: true });
  draw("destinations", "bar", { horizontal: true });
})();
