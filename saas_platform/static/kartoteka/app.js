/* Kartoteka's behaviour for every page. No inline scripts anywhere (CSP: script-src 'self').
 *
 * - [data-nav-toggle]            opens/closes the navigation on phones
 * - form[data-confirm]           asks in the shared <dialog id="confirm-dialog"> before submitting;
 *   button[data-confirm]         the same for one submit button of a form
 * - .toast                       closes on its button or Escape; plain ones fade after 8 s
 * - #global-search               combobox: arrows move, Enter opens the chosen (or top) hit, Esc closes
 * - [data-add-row="prefix"]      adds a formset row from <template id="prefix-template"> (__prefix__)
 * - [data-remove-row]            removes a new row, or ticks DELETE on a saved one and hides it
 * - [data-select-all]            (un)ticks every checkbox named by its value; [data-selected-count]
 * - [data-move="up"|"down"]      moves its <li> within a list (column order, keyboard friendly)
 * - [data-autosubmit]            submits its form when changed (filters)
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  /* navigation on phones */
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!nav) return;
    var open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  /* confirm dialog */
  var pendingSubmit = null;
  function askConfirm(text, danger, onConfirm) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(text)) onConfirm();
      return;
    }
    dialog.querySelector("[data-confirm-text]").textContent = text;
    var ok = dialog.querySelector("[data-confirm-ok]");
    ok.classList.toggle("danger", !!danger);
    pendingSubmit = onConfirm;
    dialog.showModal();
    ok.focus();
  }
  ready(function () {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog) return;
    dialog.addEventListener("close", function () {
      var run = pendingSubmit;
      pendingSubmit = null;
      if (dialog.returnValue === "confirm" && run) run();
    });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var text = source.getAttribute && source.getAttribute("data-confirm");
    if (!text || form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return;
    }
    event.preventDefault();
    askConfirm(text, source.hasAttribute("data-confirm-danger"), function () {
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined);
      else form.submit();
    });
  }, true);

  /* toasts */
  function closeToast(toast) {
    if (toast && toast.parentNode) toast.parentNode.removeChild(toast);
  }
  function armToasts(root) {
    (root || document).querySelectorAll(".toast:not([data-armed])").forEach(function (toast) {
      toast.setAttribute("data-armed", "1");
      if (!toast.querySelector("form, a, .toast-action")) {
        setTimeout(function () { if (!toast.matches(":hover, :focus-within")) closeToast(toast); }, 8000);
      }
    });
  }
  document.addEventListener("click", function (event) {
    var close = event.target.closest(".toast-close");
    if (close) closeToast(close.closest(".toast"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && event.target.closest(".toast")) {
      closeToast(event.target.closest(".toast"));
    }
  });
  ready(function () { armToasts(document); });
  document.addEventListener("htmx:afterSettle", function () { armToasts(document); });

  /* the workspace search box (a combobox over htmx-loaded results) */
  function searchOptions(box) {
    return Array.prototype.slice.call(box.querySelectorAll("[role=option]"));
  }
  function selectOption(input, box, index) {
    var options = searchOptions(box);
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function setExpanded(input, box, open) {
    input.setAttribute("aria-expanded", open ? "true" : "false");
    box.hidden = !open;
  }
  ready(function () {
    var input = document.getElementById("global-search");
    var box = document.getElementById("global-search-results");
    if (!input || !box) return;
    input.addEventListener("keydown", function (event) {
      var options = searchOptions(box);
      var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
      if (event.key === "ArrowDown" && options.length) {
        event.preventDefault();
        setExpanded(input, box, true);
        selectOption(input, box, Math.min(current + 1, options.length - 1));
      } else if (event.key === "ArrowUp" && options.length) {
        event.preventDefault();
        selectOption(input, box, Math.max(current - 1, 0));
      } else if (event.key === "Enter") {
        var chosen = options[current >= 0 ? current : 0];
        if (chosen && !box.hidden) {
          event.preventDefault();
          window.location.href = chosen.getAttribute("href");
        }
      } else if (event.key === "Escape") {
        setExpanded(input, box, false);
      }
    });
    input.addEventListener("focus", function () { if (box.children.length) setExpanded(input, box, true); });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".global-search")) setExpanded(input, box, false);
    });
    document.addEventListener("keydown", function (event) {
      /* "/" focuses the search box from anywhere but a field */
      if (event.key === "/" && !event.target.closest("input, textarea, select, [contenteditable]")) {
        event.preventDefault();
        input.focus();
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== box) return;
      setExpanded(input, box, box.children.length > 0 && input.value.trim() !== "");
      selectOption(input, box, -1);
    });
  });

  /* formset rows */
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      var prefix = add.getAttribute("data-add-row");
      var template = document.getElementById(prefix + "-template");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var list = document.getElementById(prefix + "-rows");
      if (!template || !total || !list) return;
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = list.lastElementChild && list.lastElementChild.querySelector("input, select");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest(".repeat-row");
      if (!row) return;
      var deleteBox = row.querySelector("input[type=checkbox][name$='-DELETE']");
      var idField = row.querySelector("input[type=hidden][name$='-id']");
      if (deleteBox && idField && idField.value) {
        deleteBox.checked = true;
        row.hidden = true;
      } else {
        row.querySelectorAll("input:not([type=hidden]), select").forEach(function (f) { f.value = ""; });
        row.hidden = true;
      }
    }
  });

  /* bulk selection */
  function updateSelectedCount(form) {
    var counter = form.querySelector("[data-selected-count]");
    if (!counter) return;
    var n = form.querySelectorAll("input[type=checkbox][name=ids]:checked").length;
    counter.textContent = String(n);
    form.querySelectorAll("[data-needs-selection]").forEach(function (el) { el.disabled = n === 0; });
  }
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    var form = event.target.form;
    if (all && form) {
      form.querySelectorAll("input[type=checkbox][name=" + all.getAttribute("data-select-all") + "]").forEach(function (box) {
        box.checked = all.checked;
      });
    }
    if (form) updateSelectedCount(form);
    var auto = event.target.closest("[data-autosubmit]");
    if (auto && auto.form) {
      if (auto.form.requestSubmit) auto.form.requestSubmit();
      else auto.form.submit();
    }
  });
  ready(function () { document.querySelectorAll("form").forEach(updateSelectedCount); });

  /* moving list items (column order) */
  document.addEventListener("click", function (event) {
    var move = event.target.closest("[data-move]");
    if (!move) return;
    event.preventDefault();
    var item = move.closest("li");
    if (!item) return;
    if (move.getAttribute("data-move") === "up" && item.previousElementSibling) {
      item.parentNode.insertBefore(item, item.previousElementSibling);
    } else if (move.getAttribute("data-move") === "down" && item.nextElementSibling) {
      item.parentNode.insertBefore(item.nextElementSibling, item);
    }
    move.focus();
  });
})();
