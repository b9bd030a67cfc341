/* Draws the dashboard's charts from the data the page embeds with json_script.
   The tables beside the charts hold the same numbers and work without this script. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") { return; }
  var scopes = JSON.parse(source.textContent);

  function matrix(data) {
    var max = data.matrix.reduce(function (m, cell) { return Math.max(m, cell[2]); }, 1);
    return {
      tooltip: { position: "top" },
      grid: { left: 40, right: 10, top: 10, bottom: 70 },
      xAxis: { type: "category", data: data.parties, axisLabel: { rotate: 60 } },
      yAxis: { type: "category", data: data.pillars, inverse: true },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", data: data.matrix, label: { show: true } }]
    };
  }

  function bars(series) {
    return {
      tooltip: {},
      grid: { left: 40, right: 10, top: 10, bottom: 30 },
      xAxis: { type: "category", data: series.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: series.counts }]
    };
  }

  var atlas = null;  /* the world atlas, fetched once for every map on the page */

  function loadAtlas(url) {
    if (!atlas) {
      atlas = fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (topology) {
          var world = window.topojson.feature(topology, topology.objects.countries);
          world.features.forEach(function (feature) { feature.properties.iso = feature.id; });
          window.echarts.registerMap("world", world);
        });
    }
    return atlas;
  }

  function drawMap(element, data) {
    if (typeof window.topojson === "undefined" || typeof window.fetch === "undefined") { return; }
    loadAtlas(element.dataset.atlas).then(function () {
      var max = data.map.reduce(function (m, entry) { return Math.max(m, entry.value); }, 1);
      var chart = window.echarts.init(element);
      chart.setOption({
        tooltip: {
          formatter: function (params) { return params.data ? params.data.code + ": " + params.data.value : params.name; }
        },
        visualMap: { min: 0, max: max, calculable: true, left: "left", bottom: 0 },
        series: [{ type: "map", map: "world", nameProperty: "iso", roam: true, data: data.map }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var data = scopes[Number(element.dataset.scope)];
    if (!data) { return; }
    var kind = element.dataset.chart;
    if (kind === "map") { drawMap(element, data); return; }
    var option = kind === "matrix" ? matrix(data) : bars(data[kind]);
    var chart = window.echarts.init(element);
    chart.setOption(option);
    if (kind === "matrix") {
      /* A click on a cell opens the library list the table's link points to. */
      chart.on("click", function (params) {
        var party = data.parties[params.value[0]];
        var pillar = data.pillars[params.value[1]];
        var link = document.querySelector('#matrix-' + element.dataset.scope + ' a[data-cell="' + pillar + "-" + party + '"]');
        if (link) { window.location.href = link.href; }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
