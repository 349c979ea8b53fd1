// The desk's dialogs: links that open a <dialog> when scripts run, and their own page otherwise.
// Non-modal show() with our own backdrop, so the user picker's dropdown (appended to <body>) stays visible.
(function () {
  "use strict";
  var backdrop = document.querySelector(".desk-backdrop");
  function close(dialog) {
    dialog.close();
    if (backdrop) { backdrop.hidden = true; }
  }
  document.querySelectorAll(".desk-open-dialog").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var dialog = document.getElementById(link.dataset.dialog);
      if (!dialog || typeof dialog.show !== "function") { return; }
      event.preventDefault();
      if (backdrop) { backdrop.hidden = false; }
      dialog.show();
      var first = dialog.querySelector("textarea, input:not([type=hidden]), select");
      if (first) { first.focus(); }
    });
  });
  document.querySelectorAll("dialog.desk-dialog").forEach(function (dialog) {
    dialog.querySelectorAll("[data-close-dialog]").forEach(function (button) {
      button.addEventListener("click", function () { close(dialog); });
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(dialog); }
    });
  });
  if (backdrop) {
    backdrop.addEventListener("click", function () {
      document.querySelectorAll("dialog.desk-dialog[open]").forEach(close);
    });
  }
})();
