// Keyboard screening. I include, E exclude, M maybe, U undo, W terms that lowered the score: press the
// matching button (the form posts; the server saves the decision before it sends the next record).
// N goes to the note, R to the reason list (then 1-9 picks a reason), Esc comes back to the keys.
// ← and → follow the links to one's earlier and later decisions. One press per page: after the
// first, nothing more is sent, so a held key cannot vote twice.
(function () {
  "use strict";
  var form = document.getElementById("keys");
  if (!form) { return; }
  var reason = document.getElementById("reason");
  var note = document.getElementById("note");
  var sent = false;
  form.addEventListener("submit", function () { sent = true; });
  window.addEventListener("pageshow", function (event) { if (event.persisted) { sent = false; } });
  document.querySelectorAll("form").forEach(function (f) {
    if (f !== form) { f.addEventListener("submit", function () { sent = true; }); }
  });

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  }

  function press(key) {
    var button = form.querySelector('button[data-key="' + key + '"]');
    if (!button || button.disabled) { return false; }
    sent = true;
    form.requestSubmit(button);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (sent || event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
    var target = event.target;
    if (event.key === "Escape") {
      if (target && target.blur) { target.blur(); }
      return;
    }
    if (reason && target === reason) {  // choosing a reason: digits pick one, E excludes with it
      if (/^[1-9]$/.test(event.key) && Number(event.key) < reason.options.length) {
        event.preventDefault();
        reason.selectedIndex = Number(event.key);
        reason.blur();
      } else if (event.key.toLowerCase() === "e") {
        event.preventDefault();
        press("e");
      }
      return;
    }
    if (typing(target) || (target && target.tagName === "SELECT")) { return; }
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === "n" && note) {
      event.preventDefault();
      note.focus();
    } else if (key === "r" && reason && !reason.disabled) {
      event.preventDefault();
      reason.focus();
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      var link = document.querySelector('a[data-key="' + key + '"]');
      if (link) {
        event.preventDefault();
        sent = true;
        window.location.assign(link.href);
      }
    } else if (press(key)) {
      event.preventDefault();
    }
  });
  // The curve and PRISMA counts come after the page is shown (they read the whole ledger).
  var live = document.getElementById("live");
  if (live && live.dataset.src && window.fetch) {
    window.fetch(live.dataset.src, {credentials: "same-origin"}).then(function (response) {
      return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
    }).then(function (html) {
      live.innerHTML = html;  // the server's own escaped template
      live.dataset.loaded = "yes";
    }).catch(function () { live.dataset.loaded = "failed"; });
  }
  document.body.dataset.keys = "ready";  // tests wait for this before pressing keys
}());
