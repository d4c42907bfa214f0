// Small progressive enhancements. The pages work without this file.
"use strict";
document.addEventListener("htmx:afterSwap", function (event) {
  // After htmx replaces the main region, move focus there so screen readers announce the change.
  var target = event.detail && event.detail.target;
  if (target && target.id === "main") {
    target.focus();
  }
});

// Copy buttons: each copies the text of the element its data-copy-target names. They are hidden in
// the page and shown here, so a browser without this script never shows a button that does nothing.
function showCopyButtons(root) {
  root.querySelectorAll(".copy-button[hidden]").forEach(function (button) {
    button.hidden = false;
  });
}
function copied(button, ok) {
  var label = button.firstChild;
  label.textContent = ok ? "Copied" : "Select and copy";
  window.setTimeout(function () { label.textContent = "Copy"; }, 2000);
}
document.addEventListener("DOMContentLoaded", function () { showCopyButtons(document); });
document.addEventListener("htmx:afterSwap", function (event) { showCopyButtons(event.detail.target || document); });
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest(".copy-button");
  if (!button) {
    return;
  }
  var source = document.getElementById(button.getAttribute("data-copy-target"));
  if (!source) {
    return;
  }
  var text = source.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { copied(button, true); },
                                             function () { copied(button, false); });
    return;
  }
  // Without the clipboard API (a plain-http address): select the text so Ctrl+C copies it.
  var range = document.createRange();
  range.selectNodeContents(source);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  copied(button, document.execCommand && document.execCommand("copy"));
});

// A page drawn in answer to a form (a refusal, a revealed secret) arrives at the form's address: the
// address bar shows the page's own instead, so reloading shows the page again rather than sending the
// form a second time (a second reveal on record), and a copied address opens the page, not a 405.
document.addEventListener("DOMContentLoaded", function () {
  var own = document.body.getAttribute("data-page-url");
  if (own && window.history.replaceState) {
    window.history.replaceState(null, "", own + window.location.hash);
  }
});

// A form that comes back to its place on the page (#step-…, #plan, #progress) has its message drawn in
// the next-step card, far above: it is moved to the top of that place and takes focus there, so the
// person sees (and a screen reader says) "Values saved." where they pressed Save.
document.addEventListener("DOMContentLoaded", function () {
  var message = document.querySelector("#next-step [role=status]");
  var here = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (!message || !here || here.contains(message) || here.closest("#next-step") || document.querySelector(".error-summary")) {
    return;
  }
  // Inside a step (a list item); before a panel (the progress panel is redrawn as the run goes on).
  if (here.tagName === "LI") {
    here.insertBefore(message, here.firstChild);
  } else {
    here.parentNode.insertBefore(message, here);
  }
  message.setAttribute("tabindex", "-1");
  // Once the browser has scrolled to the fragment (which resets the focus it finds).
  window.addEventListener("load", function () { message.focus({ preventScroll: true }); });
});

// A page opened at its next-step card (a run's end reloads it there) puts focus on the card: its
// message of what just happened, else the card itself, so the next Tab goes on from there rather than
// to the top of the page (QA walk 16, L9).
document.addEventListener("DOMContentLoaded", function () {
  var card = document.getElementById("next-step");
  if (window.location.hash !== "#next-step" || !card || document.querySelector(".error-summary")) {
    return;
  }
  var target = card.querySelector("[role=status]") || card;
  target.setAttribute("tabindex", "-1");
  window.addEventListener("load", function () { target.focus({ preventScroll: true }); });
});

// After a refused submit, focus moves to the summary of what needs attention (its links lead to
// each field), so keyboard and screen-reader users start where the problem is.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});

// A page drawn for one step (a revealed secret) brings that step into view: the value is next to
// the step that needs it, not at the top of a long page.
document.addEventListener("DOMContentLoaded", function () {
  var here = document.querySelector("[data-scroll-here]");
  if (here && !document.querySelector(".error-summary")) {
    here.setAttribute("tabindex", "-1");
    here.scrollIntoView({ block: "center" });
    here.focus({ preventScroll: true });
  }
});

// Moments are sent in UTC; each is shown in the viewer's own time zone, with UTC on hover (its title).
function localTimes(root) {
  var found = Array.prototype.slice.call(root.querySelectorAll("time.local-time[datetime]"));
  if (root.matches && root.matches("time.local-time[datetime]")) {
    found.push(root);
  }
  found.forEach(function (element) {
    var at = new Date(element.getAttribute("datetime"));
    if (isNaN(at.getTime())) {
      return;
    }
    var text = element.textContent;
    var withDate = /\d{4}-\d{2}-\d{2}/.test(text);
    var withTime = /\d{2}:\d{2}/.test(text);
    var options = withTime ? { hour: "2-digit", minute: "2-digit", timeZoneName: "short" } : {};
    if (/\d{2}:\d{2}:\d{2}/.test(text)) { options.second = "2-digit"; }
    // A time of day alone ("until 14:05") on another day than the reader's today says its date: a
    // wait that ended yesterday read as if today (QA walk 23, L2).
    if (withDate || (withTime && at.toDateString() !== new Date().toDateString())) {
      options.year = "numeric"; options.month = "short"; options.day = "numeric";
    }
    element.textContent = at.toLocaleString(undefined, options);
  });
}
document.addEventListener("DOMContentLoaded", function () { localTimes(document); });

// The audit trail's days are the viewer's, as its times are (a day picked as the table shows it was read
// as a UTC day and found nothing: QA walk 27, M2). A zone the address already gives is kept.
document.addEventListener("DOMContentLoaded", function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { zone = ""; }
  // A shared link's zone stays (everyone it is sent to sees the same events); the page names it. Days
  // already read from the address stay as the server read them (a link without a zone: UTC), so the
  // labels say what the events shown are (review).
  document.querySelectorAll("input[data-viewer-zone]").forEach(function (input) {
    var days = new URLSearchParams(window.location.search);
    if (!input.value && zone && zone !== "UTC" && !days.get("from") && !days.get("to")) {
      input.value = zone;
      document.querySelectorAll("[data-zone-name]").forEach(function (name) { name.textContent = zone; });
    }
    if (input.value && input.value === zone) {
      document.querySelectorAll("[data-zone-day]").forEach(function (label) { label.textContent = "(local day)"; });
    }
  });
});
// The swapped-in element, which the event fires on: for an outerHTML swap (the progress panel's),
// detail.target is the element it replaced, out of the page, so a rate-limit wait's "until" in a new
// panel stayed in UTC beside times in the viewer's zone (QA walk 11, M5).
document.addEventListener("htmx:afterSwap", function (event) {
  localTimes(event.target instanceof Element ? event.target : document);
});

// A button whose request takes a while (a token checked with Okta) says so and cannot be pressed
// twice: its label becomes its data-busy text while the page waits for the answer.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (button && button.hasAttribute("data-busy") && !event.defaultPrevented) {
    window.setTimeout(function () {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = button.getAttribute("data-busy");
    }, 0);
  }
});

// A run that ends reloads its page (HX-Refresh): on what to do next, the card at the top, rather
// than where the page was scrolled while the run went on (the reload put the person back beside the
// progress panel, with the new card out of sight on a phone: QA walk 9, M4).
document.addEventListener("htmx:beforeOnLoad", function (event) {
  var xhr = event.detail && event.detail.xhr;
  if (!xhr || xhr.getResponseHeader("HX-Refresh") !== "true" || !document.getElementById("next-step")) {
    return;
  }
  if ("scrollRestoration" in window.history) {
    window.history.scrollRestoration = "manual";
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search + "#next-step");
});

// Signing out leaves the page: its polls stop, and one already on its way is dropped quietly, so a
// panel asking as the session ends neither logs a refusal nor sends the person to sign in over the
// "You are signed out" page (htmx's own abort logs an error: its handlers are let go first). Back on
// the page from the browser's cache, the panels ask again.
var signingOut = false;
var asking = [];
document.addEventListener("htmx:beforeSend", function (event) {
  var xhr = event.detail && event.detail.xhr;
  if (xhr) {
    asking.push(xhr);
    xhr.addEventListener("loadend", function () { asking.splice(asking.indexOf(xhr), 1); });
  }
});
document.addEventListener("submit", function (event) {
  if (event.defaultPrevented || !event.target.hasAttribute("data-signs-out")) {
    return;
  }
  signingOut = true;
  asking.splice(0).forEach(function (xhr) {
    xhr.onload = xhr.onerror = xhr.onabort = xhr.ontimeout = null;
    xhr.abort();
  });
});
document.addEventListener("htmx:beforeRequest", function (event) {
  if (signingOut) {
    event.preventDefault();
  }
});
window.addEventListener("pageshow", function (event) {
  if (event.persisted) {
    signingOut = false;
  }
});

// A wait's "N min left", kept current: it stood unchanged past the wait's end until a reload (QA
// walk 23, M2). Counted against the server's clock as the page was drawn (data-now), not the
// browser's; once it has ended, the page is to be reloaded for what comes next.
function minutesLeft() {
  document.querySelectorAll(".minutes-left[data-until]").forEach(function (element) {
    if (!element.dataset.offset) {
      element.dataset.offset = String(parseFloat(element.dataset.now) - Date.now() / 1000);
    }
    var now = Date.now() / 1000 + parseFloat(element.dataset.offset);
    var left = Math.ceil((parseFloat(element.dataset.until) - now) / 60);
    if (left > 0) {
      element.textContent = left + " min left";
    } else if (!element.dataset.ended) {
      element.dataset.ended = "1";
      element.textContent = "the wait has ended: ";
      var link = document.createElement("a");
      link.href = window.location.pathname + window.location.search;
      link.textContent = "reload the page";
      element.appendChild(link);
    }
  });
}
document.addEventListener("DOMContentLoaded", function () {
  minutesLeft();
  window.setInterval(minutesLeft, 15000);
});
document.addEventListener("htmx:afterSwap", minutesLeft);
