/* The daily-report charts: read the data from data-chart attributes, draw with ECharts.
 * Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style
 * attributes, which the Content-Security-Policy refuses. Legends sit on top: ECharts 6 puts them at
 * the bottom by default, over the axis labels. */
(function () {
  if (!window.echarts) return;
  var TOOLTIP = { renderMode: "richText", confine: true };
  function tooltip(extra) { return Object.assign({}, TOOLTIP, extra || {}); }
  var rate = document.getElementById("rate-chart");
  if (rate) {
    var d = JSON.parse(rate.dataset.chart);
    var labels = { completeness: rate.dataset.labelCompleteness, timeliness: rate.dataset.labelTimeliness };
    echarts.init(rate).setOption({
      tooltip: tooltip({ trigger: "axis", valueFormatter: function (v) { return (v * 100).toFixed(1) + "%"; } }),
      legend: { top: 0 }, grid: { left: 48, right: 16, bottom: 32 },
      xAxis: { type: "category", data: d.days },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } },
      series: [
        { name: labels.completeness, type: "line", data: d.completeness },
        { name: labels.timeliness, type: "line", data: d.timeliness }
      ]
    });
    var values = document.getElementById("value-chart");
    echarts.init(values).setOption({
      tooltip: tooltip({ trigger: "axis" }), legend: { type: "scroll", top: 0 }, grid: { left: 48, right: 16, bottom: 32 },
      xAxis: { type: "category", data: d.values.days }, yAxis: { type: "value" },
      series: d.values.series.map(function (s) { return { name: s.label, type: "bar", stack: s.key, data: s.data }; })
    });
  }
  var cal = document.getElementById("calendar-chart");
  if (cal) {
    var c = JSON.parse(cal.dataset.chart);
    echarts.init(cal).setOption({
      tooltip: tooltip(),
      visualMap: { show: false, type: "piecewise", pieces: [
        { value: 0, color: "#fda29b" }, { value: 1, color: "#fedf89" }, { value: 2, color: "#d1fadf" }, { value: 3, color: "#32d583" }
      ] },
      calendar: { range: c.range, cellSize: ["auto", 16], left: 30, right: 10, dayLabel: { nameMap: "ZH" }, monthLabel: { nameMap: "ZH" }, yearLabel: { show: false } },
      series: [{ type: "heatmap", coordinateSystem: "calendar", data: c.data }]
    });
  }
})();
