/* Signup: the address follows the business name (Cyrillic transliterated), and the region
   follows the browser's time zone (app.js keeps a double click from submitting twice). */
(function () {
  "use strict";
  var MAP = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "",
    "ё": "e", "ъ": "", "ы": "y", "э": "e"
  };
  /* Russian reads г as g and и as i; Ukrainian as h and y (the official KMU 2010 table). */
  var RU = { "г": "g", "и": "i", "й": "y", "ю": "yu", "я": "ya", "х": "kh", "щ": "shch" };

  function transliterate(text, language) {
    var lower = text.toLowerCase();
    var russian = language === "ru" || /[ёъыэ]/.test(lower);
    var out = "";
    for (var i = 0; i < lower.length; i++) {
      var ch = lower[i];
      if (russian && Object.prototype.hasOwnProperty.call(RU, ch)) { out += RU[ch]; }
      else if (Object.prototype.hasOwnProperty.call(MAP, ch)) { out += MAP[ch]; }
      else { out += ch; }
    }
    return out.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  }
  window.kartotekaTransliterate = transliterate;

  function init() {
    var form = document.getElementById("signup-form");
    if (!form) { return; }
    var language = document.documentElement.lang || "ru";
    var name = form.querySelector("#id_name");
    var subdomain = form.querySelector("#id_subdomain");
    var edited = subdomain.value !== "";
    subdomain.addEventListener("input", function () { edited = subdomain.value !== ""; });
    name.addEventListener("input", function () {
      if (edited) { return; }
      subdomain.value = transliterate(name.value, language);
      if (window.htmx) { window.htmx.trigger(subdomain, "kartoteka:filled"); }
    });

    var browserZone = "";
    try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }
    if (browserZone === "Europe/Kiev") { browserZone = "Europe/Kyiv"; }
    var hidden = form.querySelector("#id_browser_time_zone");
    if (hidden) { hidden.value = browserZone; }
    var zoneSelect = form.querySelector("#id_time_zone");
    var countrySelect = form.querySelector("#id_country");
    if (browserZone && zoneSelect && !form.hasAttribute("data-bound")) {
      var option = zoneSelect.querySelector('option[value="' + browserZone.replace(/"/g, "") + '"]');
      if (option) {
        zoneSelect.value = browserZone;
        var country = option.getAttribute("data-country");
        if (country && countrySelect) { countrySelect.value = country; }
      }
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
