/* The command picture: each panel's trend (ECharts, read from data-trend) and, on the large
 * screen, a reload every data-refresh seconds. No inline script: the CSP refuses it. Tooltips are
 * drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style attributes. */
(function () {
  var dark = document.body.classList.contains("cmd-screen");
  if (window.echarts) {
    document.querySelectorAll(".cmd-trend").forEach(function (el) {
      var d = JSON.parse(el.dataset.trend);
      var rate = d.values.some(function (v) { return v % 1 !== 0; }) || Math.max.apply(null, d.values) <= 1;
      var fmt = function (v) { return rate ? (v * 100).toFixed(1) + "%" : String(v); };
      var color = dark ? "#fbbf24" : "#b71c1c";
      echarts.init(el, null, { renderer: "canvas" }).setOption({
        animation: false,
        grid: { left: 4, right: 4, top: 8, bottom: 18, containLabel: false },
        tooltip: { trigger: "axis", renderMode: "richText", confine: true, valueFormatter: fmt },
        xAxis: { type: "category", data: d.days, axisLabel: { fontSize: dark ? 13 : 10, color: dark ? "#cbd5e1" : "#667085" },
                 axisLine: { lineStyle: { color: dark ? "#475569" : "#d0d5dd" } }, axisTick: { show: false } },
        yAxis: { type: "value", show: false, min: 0 },
        series: [{ name: el.dataset.label, type: "line", data: d.values, smooth: true, symbolSize: 5,
                   lineStyle: { color: color, width: 2 }, itemStyle: { color: color },
                   areaStyle: { color: color, opacity: 0.12 } }]
      });
    });
    window.addEventListener("resize", function () {
      document.querySelectorAll(".cmd-trend").forEach(function (el) { var c = echarts.getInstanceByDom(el); if (c) c.resize(); });
    });
  }
  var refresh = parseInt(document.body.dataset.refresh || "0", 10);
  if (refresh > 0) {
    window.setTimeout(function () { window.location.reload(); }, refresh * 1000);
  }
})();
