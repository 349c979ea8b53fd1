/* The SCORM player of a lesson page: scorm-again's runtime (SCORM 1.2 as window.API, 2004 as
   window.API_1484_11) loaded with the learner's saved values, committing to the API endpoint
   POST /api/v1/me/lessons/{id}/scorm. The package runs in a same-origin frame and finds the
   runtime in its parent window. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("scorm-config").textContent);
  var frame = document.getElementById("scorm-frame");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function showProgress(data) {
    var number = document.querySelector("[data-course-progress]");
    var meter = document.querySelector("[data-course-meter]");
    var status = document.querySelector("[data-lesson-status]");
    if (number) number.textContent = String(data.progress);
    if (meter) meter.style.width = data.progress + "%";
    if (status && data.status === "completed") {
      status.textContent = "Completed";
      status.className = "badge ok";
      document.body.setAttribute("data-scorm-completed", "true");
    }
    if (data.completed) document.body.setAttribute("data-course-completed", "true");
  }

  var settings = {
    lmsCommitUrl: config.commitUrl,
    dataCommitFormat: "flattened",
    autocommit: false,
    logLevel: 4,
    xhrHeaders: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    // Empty collections (no interactions yet) come out of the flattening as {}: they carry nothing.
    requestHandler: function (values) {
      var cmi = {};
      Object.keys(values).forEach(function (key) {
        var value = values[key];
        if (value === null || typeof value !== "object") cmi[key] = value;
      });
      return { cmi: cmi };
    },
    xhrResponseHandler: function (xhr) {
      if (xhr.status >= 200 && xhr.status < 300) {
        try { showProgress(JSON.parse(xhr.responseText).data); } catch (ignored) { /* the commit is saved */ }
        document.body.setAttribute("data-scorm-commits", String(1 + Number(document.body.getAttribute("data-scorm-commits") || 0)));
        return { result: "true", errorCode: 0 };
      }
      return { result: "false", errorCode: 101 };
    }
  };
  var Runtime = config.version === "2004" ? window.Scorm2004API : window.Scorm12API;
  if (!Runtime) {
    document.getElementById("scorm-note").textContent =
      "The SCORM player is not installed on this server (run `npm ci`, see the README).";
    return;
  }
  var api = new Runtime(settings);
  api.loadFromFlattenedJSON(config.values);
  window[config.version === "2004" ? "API_1484_11" : "API"] = api;
  frame.src = config.launchUrl;
})();
