/* Smooth LMS: show times in the browser's own time zone beside the cohort's, for learners who
   have not picked a zone on their profile. Reads data-start / data-end (UTC ISO instants) and
   data-zone (the cohort's zone) of each [data-start] element; no dependencies. */
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  function parts(date) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function full(p) { return p.weekday + " " + p.day + " " + p.month + " " + p.year + ", " + p.hour + ":" + p.minute; }
  function show() {
    document.querySelectorAll("[data-start]").forEach(function (el) {
      if (el.getAttribute("data-zone") === zone) { return; }
      var start = new Date(el.getAttribute("data-start"));
      if (isNaN(start)) { return; }
      var a = parts(start), text = full(a), endAttr = el.getAttribute("data-end");
      if (endAttr) {
        var b = parts(new Date(endAttr));
        var sameDay = a.day === b.day && a.month === b.month && a.year === b.year;
        text += sameDay ? "\u2013" + b.hour + ":" + b.minute : " \u2013 " + full(b);
      }
      el.textContent = "Your time: " + text + " ";
      var name = document.createElement("span");
      name.className = "zone";
      name.textContent = zone;
      el.appendChild(name);
      el.hidden = false;
    });
    document.querySelectorAll("[data-browser-zone]").forEach(function (el) {
      var strong = el.querySelector("strong");
      if (strong) { strong.textContent = zone; }
      el.hidden = false;
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", show); } else { show(); }
})();
