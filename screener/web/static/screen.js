// Keyboard screening: I include, E exclude, M maybe, U undo press the matching button.
// The form posts; the server saves the vote before it sends the next record. One press per page:
// after the first, the buttons are disabled so a held key cannot vote twice.
(function () {
  "use strict";
  var form = document.getElementById("keys");
  if (!form) { return; }
  var sent = false;
  form.addEventListener("submit", function () { sent = true; });
  document.addEventListener("keydown", function (event) {
    if (sent || event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) { return; }
    var button = form.querySelector('button[data-key="' + event.key.toLowerCase() + '"]');
    if (!button || button.disabled) { return; }
    event.preventDefault();
    sent = true;
    form.requestSubmit(button);
  });
  document.body.dataset.keys = "ready";  // tests wait for this before pressing keys
}());
