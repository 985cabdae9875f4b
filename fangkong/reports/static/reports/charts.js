/* The daily-report charts: read the data from data-chart attributes, draw with ECharts.
 * Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style
 * attributes, which the Content-Security-Policy refuses. Legends sit on top: ECharts 6 puts them at
 * the bottom by default, over the axis labels. The axis each reported figure uses is chosen on the
 * server (reports.views.chart_values). */
(function () {
  if (!window.echarts) return;
  var TOOLTIP = { renderMode: "richText", confine: true };
  function tooltip(extra) { return Object.assign({}, TOOLTIP, extra || {}); }
  // Legends sit above the plot, and the grid starts below them (containLabel keeps the axis
  // labels inside): a legend never covers an axis. Figures of another scale get their own axis.
  var GRID = { left: 24, right: 24, top: 56, bottom: 8, containLabel: true };
  var rate = document.getElementById("rate-chart");
  if (rate) {
    var d = JSON.parse(rate.dataset.chart);
    var ds = rate.dataset;
    var percent = function (v) { return Math.round(v * 100) + "%"; };
    echarts.init(rate).setOption({
      tooltip: tooltip({ trigger: "axis" }),
      legend: { top: 0, type: "scroll" }, grid: GRID,
      xAxis: { type: "category", data: d.days },
      yAxis: [
        { type: "value", min: 0, max: 1, axisLabel: { formatter: percent } },
        { type: "value", name: ds.labelUnits, nameTextStyle: { align: "right" }, minInterval: 1, splitLine: { show: false } }
      ],
      series: [
        { name: ds.labelCompleteness, type: "line", data: d.completeness, tooltip: { valueFormatter: percent } },
        { name: ds.labelTimeliness, type: "line", data: d.timeliness, tooltip: { valueFormatter: percent } },
        { name: ds.labelMissing, type: "bar", yAxisIndex: 1, data: d.missing, itemStyle: { color: "#fda29b" } }
      ]
    });
    var values = document.getElementById("value-chart");
    var axes = [{ type: "value", minInterval: 1 }];
    if (d.values.axes > 1) axes.push({ type: "value", minInterval: 1, splitLine: { show: false } });
    echarts.init(values).setOption({
      tooltip: tooltip({ trigger: "axis" }), legend: { type: "scroll", top: 0 }, grid: GRID,
      xAxis: { type: "category", data: d.values.days }, yAxis: axes,
      series: d.values.series.map(function (s) {
        return { name: s.label, type: "line", yAxisIndex: s.axis, data: s.data, showSymbol: false };
      })
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
      calendar: { range: c.range, cellSize: ["auto", 16], top: 28, left: 30, right: 10, dayLabel: { nameMap: "ZH" }, monthLabel: { nameMap: "ZH" }, yearLabel: { show: false } },
      series: [{ type: "heatmap", coordinateSystem: "calendar", data: c.data }]
    });
  }
})();
