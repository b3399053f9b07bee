// The board's only script: live rows from server-sent events, and the development sign-in
// link (a token in the URL fragment, which never reaches a server log).
"use strict";

(function () {
  function live() {
    var status = document.getElementById("live");
    var rows = document.getElementById("rows");
    if (!status || !rows || !window.EventSource) {
      return;
    }
    var pending = null;
    function refresh() {
      pending = null;
      fetch(status.dataset.rowsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .then(function (html) {
          rows.innerHTML = html;
          status.textContent = status.dataset.on + " " + new Date().toLocaleTimeString(document.documentElement.lang);
        })
        .catch(function () {
          status.textContent = status.dataset.off;
        });
    }
    var source = new EventSource(status.dataset.liveUrl);
    source.addEventListener("ready", function () {
      status.textContent = status.dataset.on;
      status.dataset.state = "live";
    });
    source.addEventListener("change", function () {
      if (pending === null) {
        pending = setTimeout(refresh, 250);
      }
    });
    source.addEventListener("error", function () {
      status.textContent = status.dataset.off;
      status.dataset.state = "off";
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }

  function signInFromFragment() {
    var form = document.getElementById("sign-in");
    var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (!form || !match) {
      return;
    }
    history.replaceState(null, "", window.location.pathname + window.location.search);
    form.elements.token.value = decodeURIComponent(match[1]);
    form.submit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    live();
    signInFromFragment();
  });
})();
