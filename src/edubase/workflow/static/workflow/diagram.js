/* Draws a BPMN diagram with bpmn-js's NavigatedViewer and marks the case's progress.
   Reads the XML and the marks from json_script elements; no inline script, no CDN. */
(function () {
  "use strict";
  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function draw(container) {
    var xml = readJson(container.dataset.xmlId);
    var marks = readJson(container.dataset.marksId) || { completed: [], current: [] };
    if (!xml || typeof BpmnJS === "undefined") { return; }
    var viewer = new BpmnJS({ container: container });
    viewer.importXML(xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      (marks.completed || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "wf-completed"); }
      });
      (marks.current || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "wf-current"); }
      });
      canvas.zoom("fit-viewport", "auto");
      container.dataset.rendered = "true";
    }).catch(function (err) {
      container.dataset.rendered = "failed";
      container.textContent = container.dataset.failed + "：" + (err && err.message ? err.message : err);
    });
  }
  function init() {
    document.querySelectorAll(".wf-diagram").forEach(draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
