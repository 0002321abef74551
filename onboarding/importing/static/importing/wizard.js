/* The import wizard's behaviour (no inline scripts: CSP is self-only).
 *
 * - form[data-upload-progress]  sends the file with XMLHttpRequest and shows its upload
 *                               progress; the server's answer replaces the page (a redirect
 *                               is followed). Without JavaScript the form posts as usual.
 * - [data-mapping-row] select    shows the new-field inputs when "New field…" is chosen
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-upload-progress]") || event.defaultPrevented) return;
    if (!window.XMLHttpRequest || !window.FormData) return;
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (file && maxBytes && file.size > maxBytes) {
      event.preventDefault();
      input.setCustomValidity(form.getAttribute("data-too-big") || "");
      input.reportValidity();
      input.addEventListener("change", function () { input.setCustomValidity(""); }, { once: true });
      return;
    }
    event.preventDefault();
    var status = form.querySelector("[data-upload-status]");
    var bar = status && status.querySelector("progress");
    var percent = status && status.querySelector("[data-upload-percent]");
    var buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach(function (button) { button.disabled = true; });
    if (status) status.hidden = false;
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable || !bar) return;
      var value = Math.round((progress.loaded / progress.total) * 100);
      bar.value = value;
      if (percent) percent.textContent = value + "%";
    });
    request.addEventListener("load", function () {
      var redirected = request.responseURL && request.responseURL.split("#")[0] !== form.action;
      if (redirected && request.status < 400) {
        window.location.assign(request.responseURL);
        return;
      }
      /* the form again, with its errors: swap the page's main content */
      var page = new DOMParser().parseFromString(request.responseText, "text/html");
      var main = page.getElementById("main");
      if (main) {
        document.getElementById("main").innerHTML = main.innerHTML;
        var error = document.querySelector("#main [role=alert]");
        var field = document.querySelector("#main input[type=file]");
        if (field) field.focus();
        if (error && error.scrollIntoView) error.scrollIntoView({ block: "center" });
      } else {
        form.removeAttribute("data-upload-progress");
        form.submit();
      }
    });
    request.addEventListener("error", function () {
      buttons.forEach(function (button) { button.disabled = false; });
      if (status) status.hidden = true;
      form.removeAttribute("data-upload-progress");
      form.submit();
    });
    request.send(new FormData(form));
  });

  function syncNewField(select) {
    var row = select.closest("[data-mapping-row]");
    var box = row && row.querySelector("[data-new-field]");
    if (!box) return;
    /* shown right under the select, next in the tab order; focus stays on the select so
       arrowing through the options does not jump away */
    box.classList.toggle("open", select.value === "__new__");
  }
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-mapping-row] select[name^=column_]");
    if (select) syncNewField(select);
  });
})();
