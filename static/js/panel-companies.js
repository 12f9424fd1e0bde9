// Companies list: the header checkbox ticks or clears every row of the page. Without JS the checkbox
// stays hidden and the "approve this page" button does the same on the server. No dependencies.
(function () {
  "use strict";
  function reveal(root) {
    root.querySelectorAll("input[data-select-page]").forEach(function (box) { box.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:afterSettle", function () { reveal(document); });
  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.form;
    if (!form) { return; }
    var rows = form.querySelectorAll("input[data-select-row]");
    if (target.matches("input[data-select-page]")) {
      rows.forEach(function (row) { row.checked = target.checked; });
    } else if (target.matches("input[data-select-row]")) {
      var all = form.querySelector("input[data-select-page]");
      var ticked = form.querySelectorAll("input[data-select-row]:checked").length;
      if (all) {
        all.checked = ticked === rows.length;
        all.indeterminate = ticked > 0 && ticked < rows.length;
      }
    }
  });
}());
