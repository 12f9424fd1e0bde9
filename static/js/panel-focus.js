// Office panel, keyboard users: after an htmx approval the page part is replaced, and the browser would drop
// the focus to the top of the page. Forms marked data-focus-next move it instead to the next item still waiting
// for approval (an element marked data-pending-item="<key>": a row's Approve button, a pending month, a
// company's checkbox), else to the first one left anywhere, else to the fallback the form names
// (selectors separated by "|", tried in order, e.g. the status message). No dependencies; loaded by the panel.
(function () {
  "use strict";
  var remembered = null;

  function pendingItems() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-pending-item]"));
  }

  // Where the approval happened: the last ticked row of a bulk form, else the form's row, else the form.
  function anchorOf(form) {
    var ticked = form.querySelectorAll("input[data-select-row]:checked");
    if (ticked.length) { return ticked[ticked.length - 1].closest("tr") || form; }
    return form.closest("tr") || form;
  }

  function after(anchor, element) {
    return !anchor.contains(element) &&
      Boolean(anchor.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING);
  }

  function byKey(key) {
    return pendingItems().filter(function (element) { return element.dataset.pendingItem === key; })[0] || null;
  }

  function focus(element) {
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-focus-next]")) { return; }
    var anchor = anchorOf(form);
    remembered = {
      keys: pendingItems().filter(function (element) { return after(anchor, element); })
        .map(function (element) { return element.dataset.pendingItem; }),
      fallback: form.dataset.focusNext.split("|")
    };
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!remembered) { return; }
    var memory = remembered, target = null, i;
    remembered = null;
    for (i = 0; i < memory.keys.length && !target; i += 1) { target = byKey(memory.keys[i]); }
    target = target || pendingItems()[0] || null;
    for (i = 0; i < memory.fallback.length && !target; i += 1) {
      target = memory.fallback[i] ? document.querySelector(memory.fallback[i]) : null;
    }
    if (target) { focus(target); }
  });

  document.addEventListener("htmx:responseError", function () { remembered = null; });
}());
