/* Progress report form: add indicator rows without a round trip (the form works without this). */
(function () {
  "use strict";
  function init() {
    var button = document.getElementById("add-indicator");
    var template = document.getElementById("indicator-row-template");
    var rows = document.getElementById("indicator-rows");
    var total = document.querySelector("input[name='indicators-TOTAL_FORMS']");
    var max = document.querySelector("input[name='indicators-MAX_NUM_FORMS']");
    if (!button || !template || !rows || !total) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) {
        button.disabled = true;
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild && rows.lastElementChild.querySelector("input");
      if (first) {
        first.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
