/* The kanban board (crm/templates/crm/deals/board.html): drag a card with SortableJS
 * (vendored from the npm registry) to another column or another place in its column; the
 * move is POSTed to the card's data-move-url and the columns' counts and sums come back.
 * Without JS (or a mouse) the card's own "Move to" form does the same. A move into a lost
 * stage asks for the reason: the server answers with the page to go to. */
(function () {
  "use strict";

  function csrfToken(card) {
    var input = card.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function announce(text) {
    var status = document.getElementById("board-status");
    if (status) { status.textContent = text; }
  }

  function updateColumns(columns) {
    Object.keys(columns || {}).forEach(function (stageId) {
      var column = document.querySelector('[data-stage-column="' + stageId + '"]');
      if (!column) { return; }
      var count = column.querySelector("[data-column-count]");
      var sum = column.querySelector("[data-column-sum]");
      if (count) { count.textContent = columns[stageId].count; }
      if (sum) { sum.textContent = columns[stageId].sums || "—"; }
    });
  }

  function syncSelect(card, stageId) {
    var select = card.querySelector(".deal-move select[name=stage]");
    if (select) { select.value = stageId; }
  }

  function sendMove(board, event) {
    var card = event.item;
    var list = event.to;
    var next = card.nextElementSibling;
    while (next && !next.hasAttribute("data-deal-id")) { next = next.nextElementSibling; }
    var body = new URLSearchParams(board.getAttribute("data-query") || "");
    body.set("stage", list.getAttribute("data-stage"));
    body.set("before", next ? next.getAttribute("data-deal-id") : "");
    return fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": csrfToken(card)
      },
      body: body.toString()
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      if (answer.data.ok) {
        syncSelect(card, list.getAttribute("data-stage"));
        updateColumns(answer.data.columns);
        announce(answer.data.message || "");
        return;
      }
      if (answer.data.redirect) { window.location.assign(answer.data.redirect); return; }
      window.alert(answer.data.error || "");
      window.location.reload();
    }).catch(function () { window.location.reload(); });
  }

  function init() {
    var board = document.querySelector("[data-board]");
    if (!board || typeof window.Sortable === "undefined") { return; }
    board.classList.add("is-draggable");
    board.querySelectorAll(".board-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        animation: 120,
        forceFallback: true,
        fallbackTolerance: 4,
        draggable: ".deal-card",
        filter: "select, button, input, label",
        preventOnFilter: false,
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from === event.to && event.oldIndex === event.newIndex) { return; }
          sendMove(board, event);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
