// Custom field form: show the choice boxes only for the choice types (without JS they always show).
(function () {
  "use strict";
  function bind(select) {
    var box = document.getElementById(select.getAttribute("data-controls-choices"));
    if (!box) { return; }
    var types = (box.getAttribute("data-choice-types") || "").split(" ");
    function sync() { box.hidden = types.indexOf(select.value) === -1; }
    select.addEventListener("change", sync);
    sync();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-controls-choices]").forEach(bind);
  });
})();
