/* Dashboard charts: each .console-chart names a json_script element holding [{name, value}]. */
(function () {
  "use strict";

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : [];
  }

  function barOption(data, seriesName) {
    return {
      grid: { left: 48, right: 16, top: 16, bottom: 72 },
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category",
        data: data.map(function (d) { return d.name; }),
        axisLabel: { rotate: 45, interval: 0 }
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: seriesName, type: "bar", data: data.map(function (d) { return d.value; }),
        itemStyle: { color: "#066fd1" }, label: { show: data.length <= 20, position: "top" } }]
    };
  }

  function pieOption(data, seriesName) {
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { type: "scroll", bottom: 0 },
      series: [{ name: seriesName, type: "pie", radius: ["35%", "58%"], center: ["50%", "45%"],
        avoidLabelOverlap: true, minShowLabelAngle: 3,
        data: data, label: { formatter: "{b}\n{c}", overflow: "none" }, labelLine: { length: 8, length2: 8 } }]
    };
  }

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function render() {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll(".console-chart").forEach(function (el) {
      var data = readData(el.dataset.source);
      var option = el.dataset.chart === "pie" ? pieOption(data, el.dataset.series) : barOption(data, el.dataset.series);
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      option.animation = !reduceMotion;
      // marked once drawn (animations done), so tests and screenshots see the final chart
      chart.on("finished", function () { el.dataset.rendered = "true"; });
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
