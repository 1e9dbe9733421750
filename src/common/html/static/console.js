// Progressive enhancement only: every page works without this file.
'use strict';
document.addEventListener('submit', function (event) {
  var form = event.target;
  var message = form && form.getAttribute && form.getAttribute('data-confirm');
  if (message && !window.confirm(message)) event.preventDefault();
});
document.querySelectorAll('[data-copy]').forEach(function (button) {
  var id = button.getAttribute('data-copy');
  var field = document.getElementById(id);
  var status = document.querySelector('[data-copy-status="' + id + '"]');
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    navigator.clipboard.writeText(field.value).then(
      function () {
        if (status) status.textContent = 'Copied to the clipboard.';
      },
      function () {
        field.select();
        if (status) status.textContent = 'Select it and copy it.';
      },
    );
  });
});
