// The orderflow console's few lines of script (served from the console itself: no CDN, works offline).
// Live parts: an element with data-live-url is fetched again every data-live-every ms and replaced; the order page
// sends its fingerprint (data-live-fp) and gets 204 while nothing changed; data-live-done stops it.
// States: a click on a graph node, or on a button with data-show-state, shows that state's details.
"use strict";
(function () {
  function poll(el) {
    var every = parseInt(el.getAttribute("data-live-every") || "2000", 10);
    var id = el.id;
    function tick() {
      var current = document.getElementById(id);
      if (!current || current.hasAttribute("data-live-done")) return;
      var url = current.getAttribute("data-live-url") + (current.getAttribute("data-live-fp") || "");
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.status === 200 ? r.text() : null; })
        .then(function (html) {
          if (html !== null) {
            var shown = currentState();
            if (current.tagName === "TBODY") { current.innerHTML = html; }
            else { current.outerHTML = html; if (shown) showState(shown); }
            var next = document.getElementById(id);
            if (next) { next.classList.add("flash"); setTimeout(function () { next.classList.remove("flash"); }, 600); }
          }
        })
        .catch(function () {})
        .then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }
  var shownState = null;
  function currentState() { return shownState; }
  function showState(name) {
    shownState = name;
    var target = document.getElementById("state-note");
    document.querySelectorAll("section.state").forEach(function (s) {
      s.hidden = s.getAttribute("data-state") !== name;
    });
    document.querySelectorAll("svg.graph g.node").forEach(function (n) {
      var t = n.querySelector("title");
      n.classList.toggle("picked", !!t && t.textContent === name);
    });
    var panel = document.querySelector('section.state[data-state="' + CSS.escape(name) + '"]');
    if (target && !panel) {
      target.textContent = name + " was not reached by this execution.";
    } else if (target) {
      target.textContent = "";
      panel.scrollIntoView({ block: "nearest" });
    }
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-show-state]");
    if (button) { showState(button.getAttribute("data-show-state")); return; }
    var node = e.target.closest("svg.graph g.node");
    if (node) {
      var title = node.querySelector("title");
      if (title && title.textContent.indexOf("__") !== 0) { e.preventDefault(); showState(title.textContent); }
    }
  });
  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) e.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(function (el) { if (el.id) poll(el); });
  });
})();
