// The lesson form's Markdown preview: the body as the portal renders it (sanitised on the server).
(function () {
  "use strict";
  var button = document.getElementById("preview-button");
  var form = document.getElementById("lesson-form");
  var target = document.getElementById("preview");
  if (!button || !form || !target) { return; }
  button.addEventListener("click", function () {
    var data = new FormData();
    data.append("body", form.querySelector("[name=body]").value);
    fetch(button.dataset.url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (body) {
      target.innerHTML = body.html;  // sanitised by the server (nh3)
      target.setAttribute("data-previewed", "true");
    }).catch(function () {
      target.textContent = "The preview could not be made. Save to see the lesson.";
    });
  });
})();
