// Kartoteka's few behaviours, kept out of the HTML: the Content-Security-Policy allows
// scripts from our own origin only, never inline handlers.
(function () {
  "use strict";

  // <button data-toggles="nav">: show or hide the element with that id (the phone menu).
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-toggles]");
    if (button) {
      document.getElementById(button.dataset.toggles).classList.toggle("open");
    }
  });

  // <form data-disable-on-submit>: one click sends it once.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-disable-on-submit]")) {
      event.target.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }
  });

  // <form data-auto-submit>: sent as soon as the page is read (the hand-off into a new
  // workspace); its button stays for browsers without JavaScript.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
      form.submit();
    });
  });
})();
